import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { approvedTemplate, PLAIN_BODY } from '../support/templates';
import { TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Message templates as the Cloud API manages them: created PENDING, reviewed by the sandbox's
 * network (approved by default; rejected, paused or disabled through its API), announced by
 * signed `message_template_status_update` webhooks; sends checked against the approved ones, and
 * the rendered text is what the customer receives and what is stored.
 */
describe('message templates over the real stack', () => {
  let p: PlatformHarness;
  let receiver: WebhookReceiver;
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    p = await startPlatform();
    receiver = await new WebhookReceiver().start();
    tenant = await p.newTenant({ webhookUrl: receiver.url });
    token = await tenant.token();
  });
  afterAll(async () => {
    await p?.close();
    await receiver?.stop();
  });

  const templatesPath = () => `/v25.0/${tenant.businessAccountId}/message_templates`;
  const create = (body: Record<string, unknown>, t = token) =>
    p.ingest('POST', templatesPath(), {
      token: t,
      body: { language: 'en_US', category: 'UTILITY', components: PLAIN_BODY, ...body },
    });
  const statusUpdates = () =>
    receiver.received.flatMap((r) =>
      (r.body.entry ?? []).flatMap((e: any) =>
        (e.changes ?? [])
          .filter((c: any) => c.field === 'message_template_status_update')
          .map((c: any) => ({ entryId: e.id, ...c.value, webhook: r })),
      ),
    );
  const sendTemplate = (to: string, template: Record<string, unknown>) =>
    p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: { messaging_product: 'whatsapp', to, type: 'template', template },
    });
  const setReview = (body: Record<string, unknown>) => p.sandbox('PUT', '/sandbox/v1/templates/review', { body });
  const decide = (id: string, body: Record<string, unknown>) =>
    p.sandbox('POST', `/sandbox/v1/templates/${id}/status`, { body });

  it('creates a template PENDING; the review approves it and a signed status webhook says so; it reads back by id', async () => {
    const created = await create({
      name: 'shipping_notice',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1'] } },
        {
          type: 'BODY',
          text: 'Hi {{1}}, your order ships on {{2}}.',
          example: { body_text: [['Ada', 'Monday']] },
        },
        { type: 'FOOTER', text: 'Demo Shoes' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }] },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id: expect.stringMatching(/^\d{15}$/), status: 'PENDING', category: 'UTILITY' });
    const id = created.body.id as string;

    const update = await waitFor('the APPROVED status webhook', async () =>
      statusUpdates().find((u) => u.message_template_id === Number(id) && u.event === 'APPROVED'),
    );
    expect(WebhookReceiver.verify(tenant.appSecret, update.webhook)).toBe(true);
    expect(update).toMatchObject({
      entryId: tenant.businessAccountId,
      event: 'APPROVED',
      message_template_id: Number(id),
      message_template_name: 'shipping_notice',
      message_template_language: 'en_US',
      message_template_category: 'UTILITY',
      reason: 'NONE',
    });

    const read = await p.ingest('GET', `/v25.0/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id,
      name: 'shipping_notice',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
    });
    expect(read.body.components.map((c: any) => c.type)).toEqual(['HEADER', 'BODY', 'FOOTER', 'BUTTONS']);
    const onlyStatus = await p.ingest('GET', `/v25.0/${id}?fields=status`, { token });
    expect(onlyStatus.body).toEqual({ id, status: 'APPROVED' });
    // The Graph API's token in the query works here too (inboxes sync templates so).
    const byQuery = await fetch(`${p.ingestUrl}/v25.0/${id}?fields=name&access_token=${encodeURIComponent(token)}`);
    expect(await byQuery.json()).toEqual({ id, name: 'shipping_notice' });

    // Sent with its parameters: the customer receives the rendered text, and the conversation keeps it.
    const waId = p.newCustomer();
    const sent = await sendTemplate(waId, {
      name: 'shipping_notice',
      language: { code: 'en_US', policy: 'deterministic' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: '#1234' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Grace' },
            { type: 'date_time', date_time: { fallback_value: 'Friday' } },
          ],
        },
      ],
    });
    expect(sent.status).toBe(200);
    const messageId = sent.body.messages[0].id as string;
    const delivered = await waitFor('the template at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      return (r.body as any[]).find((m) => m.messageId === messageId);
    });
    expect(delivered.content.rendered).toEqual({
      header: 'Order #1234',
      body: 'Hi Grace, your order ships on Friday.',
      footer: 'Demo Shoes',
      buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }],
    });
    const stored = await waitFor('the stored template message', async () => {
      const list = await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token });
      const c = list.body.data?.[0];
      if (!c) {
        return undefined;
      }
      const detail = await p.store.request('GET', `/v1/conversations/${c.id}`, { token });
      return detail.body.messages?.find((m: any) => m.id === messageId);
    });
    expect(stored.content.rendered.body).toBe('Hi Grace, your order ships on Friday.');
    // The rendered text is sealed at rest, like all content.
    const [row] = await p.sql(`SELECT content_ciphertext FROM tenant_store.messages WHERE message_id = $1`, [
      messageId,
    ]);
    expect(row.content_ciphertext).not.toContain('Grace');
    // The template is billed in its own category.
    const sentStatus = await waitFor('the sent status', async () =>
      receiver.items('statuses').find((s) => s.id === messageId && s.status === 'sent'),
    );
    expect(sentStatus.pricing.category).toBe('utility');
  });

  it('refuses template sends the Cloud API refuses: unknown (132001), pending, wrong parameter count (132000) or type (132012)', async () => {
    await approvedTemplate(p.ingestUrl, tenant, {
      name: 'media_promo',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        {
          type: 'BODY',
          text: 'Hello {{first_name}}!',
          example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ada' }] },
        },
        {
          type: 'BUTTONS',
          buttons: [{ type: 'URL', text: 'Open', url: 'https://shop.example.com/o/{{1}}', example: ['abc'] }],
        },
      ],
      parameter_format: 'named',
    });
    const waId = p.newCustomer();
    const base = { name: 'media_promo', language: { code: 'en_US' } };
    const header = {
      type: 'header',
      parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/a.jpg' } }],
    };
    const body = { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ada' }] };
    const button = { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x1' }] };

    await setReview({ mode: 'manual' });
    const pending = await create({ name: 'still_pending' });
    expect(pending.status).toBe(200);
    await setReview({ mode: 'approve' });

    const cases: Array<[string, Record<string, unknown>, number, number, RegExp]> = [
      ['unknown name', { name: 'no_such_template', language: { code: 'en_US' } }, 404, 132001, /no_such_template/],
      ['another language', { ...base, language: { code: 'fr' } }, 404, 132001, /does not exist in fr/],
      ['pending review', { name: 'still_pending', language: { code: 'en_US' } }, 404, 132001, /PENDING/],
      ['no parameters', base, 400, 132000, /header: number of localizable_params \(0\)/],
      ['missing body parameter', { ...base, components: [header, button] }, 400, 132000, /body/],
      ['missing url suffix', { ...base, components: [header, body] }, 400, 132000, /button 0/],
      [
        'text for an image header',
        { ...base, components: [{ type: 'header', parameters: [{ type: 'text', text: 'x' }] }, body, button] },
        400,
        132012,
        /expected IMAGE/,
      ],
      [
        'an unknown variable name',
        {
          ...base,
          components: [
            header,
            { type: 'body', parameters: [{ type: 'text', parameter_name: 'nope', text: 'x' }] },
            button,
          ],
        },
        400,
        132012,
        /parameter_name/,
      ],
    ];
    for (const [what, template, status, code, details] of cases) {
      const res = await sendTemplate(waId, template);
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status, code });
      expect(res.body.error.error_data.details).toMatch(details);
    }
    const ok = await sendTemplate(waId, { ...base, components: [header, body, button] });
    expect(ok.status).toBe(200);
    const delivered = await waitFor('the media template at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      return (r.body as any[]).find((m) => m.messageId === ok.body.messages[0].id);
    });
    expect(delivered.content.rendered).toEqual({
      body: 'Hello Ada!',
      buttons: [{ type: 'URL', text: 'Open', url: 'https://shop.example.com/o/x1' }],
    });
  });

  it('authentication templates: WhatsApp words the body and footer, the code fills the body and the OTP button', async () => {
    await approvedTemplate(p.ingestUrl, tenant, {
      name: 'login_code',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 5 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy it' }] },
      ],
    });
    const waId = p.newCustomer();
    const code = [{ type: 'text', text: '739201' }];
    const base = { name: 'login_code', language: { code: 'en_US' } };
    const noButton = await sendTemplate(waId, { ...base, components: [{ type: 'body', parameters: code }] });
    expect([noButton.status, noButton.body.error.code]).toEqual([400, 132000]);
    const sent = await sendTemplate(waId, {
      ...base,
      components: [
        { type: 'body', parameters: code },
        { type: 'button', sub_type: 'url', index: '0', parameters: code },
      ],
    });
    expect(sent.status).toBe(200);
    const delivered = await waitFor('the code at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      return (r.body as any[]).find((m) => m.messageId === sent.body.messages[0].id);
    });
    expect(delivered.content.category).toBe('AUTHENTICATION');
    expect(delivered.content.rendered).toEqual({
      body: '*739201* is your verification code. For your security, do not share this code.',
      footer: 'This code expires in 5 minutes.',
      buttons: [{ type: 'OTP', text: 'Copy it' }],
    });
    const wrong = await create({
      name: 'free_text_code',
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY', text: 'Your code: {{1}}', example: { body_text: [['1']] } }],
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 100]);
    expect(wrong.body.error.error_data.details).toMatch(/body is fixed/);
  });

  it('rejections, pauses and disabling come from the review: announced by webhook, and sends refused (132001, 132015, 132016)', async () => {
    await setReview({ mode: 'manual' });
    const rejected = await create({ name: 'too_pushy', category: 'MARKETING' });
    const paused = await create({ name: 'paused_one' });
    await setReview({ mode: 'approve' });
    const [rejectedId, pausedId] = [rejected.body.id as string, paused.body.id as string];

    const verdict = await decide(rejectedId, { status: 'REJECTED', reason: 'PROMOTIONAL' });
    expect(verdict.body).toMatchObject({ status: 'REJECTED', reason: 'PROMOTIONAL', ingestStatus: 200 });
    const update = await waitFor('the REJECTED webhook', async () =>
      statusUpdates().find((u) => u.message_template_id === Number(rejectedId) && u.event === 'REJECTED'),
    );
    expect(update).toMatchObject({ reason: 'PROMOTIONAL', message_template_category: 'MARKETING' });
    const read = await p.ingest('GET', `/v25.0/${rejectedId}`, { token });
    expect(read.body).toMatchObject({ status: 'REJECTED', rejected_reason: 'PROMOTIONAL' });

    const waId = p.newCustomer();
    const refusedRejected = await sendTemplate(waId, { name: 'too_pushy', language: { code: 'en_US' } });
    expect([refusedRejected.status, refusedRejected.body.error.code]).toEqual([404, 132001]);

    await decide(pausedId, { status: 'APPROVED' });
    const approvedSend = await sendTemplate(waId, { name: 'paused_one', language: { code: 'en_US' } });
    expect(approvedSend.status).toBe(200);
    await decide(pausedId, { status: 'PAUSED' });
    const whilePaused = await sendTemplate(waId, { name: 'paused_one', language: { code: 'en_US' } });
    expect([whilePaused.status, whilePaused.body.error.code]).toEqual([400, 132015]);
    await decide(pausedId, { status: 'DISABLED' });
    const disabled = await sendTemplate(waId, { name: 'paused_one', language: { code: 'en_US' } });
    expect([disabled.status, disabled.body.error.code]).toEqual([400, 132016]);
    const events = await waitFor('the PAUSED and DISABLED webhooks', async () => {
      const mine = statusUpdates().filter((u) => u.message_template_id === Number(pausedId));
      return mine.some((u) => u.event === 'DISABLED') && mine.some((u) => u.event === 'PAUSED') ? mine : undefined;
    });
    expect(events.find((u) => u.event === 'DISABLED').disable_info.disable_date).toMatch(/^\d+$/);
    expect(events.find((u) => u.event === 'PAUSED').other_info.title).toBe('FIRST_PAUSE');
  });

  it('lists with cursor paging and filters, deletes by name or hsm_id, and keeps every tenant to its own', async () => {
    const other = await p.newTenant();
    const otherToken = await other.token();
    const own = await p.ingest('GET', `/v25.0/${other.businessAccountId}/message_templates`, { token: otherToken });
    expect(own.body).toEqual({ data: [] });

    // Not into another tenant's account.
    expect((await create({ name: 'paged', components: [{ type: 'BODY', text: 'x' }] }, otherToken)).status).toBe(404);
    const tenantB = other;
    const createB = (body: Record<string, unknown>) =>
      p.ingest('POST', `/v25.0/${tenantB.businessAccountId}/message_templates`, {
        token: otherToken,
        body: { language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'x' }], ...body },
      });
    const ids: string[] = [];
    for (const language of ['en_US', 'es', 'de']) {
      const res = await createB({ name: 'paged', language });
      expect(res.status).toBe(200);
      ids.push(res.body.id);
    }
    expect((await createB({ name: 'other_name' })).status).toBe(200);
    // The same name in the same language again: refused.
    const duplicate = await createB({ name: 'paged', language: 'es' });
    expect([duplicate.status, duplicate.body.error.code]).toEqual([400, 100]);

    // Paging: two at a time, following paging.next until it is absent.
    const seen: string[] = [];
    let next: string | undefined = `/v25.0/${tenantB.businessAccountId}/message_templates?limit=2&fields=name,language`;
    let pages = 0;
    while (next) {
      const page: { status: number; body: any } = await p.ingest('GET', next, { token: otherToken });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      expect(page.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
      seen.push(...page.body.data.map((t: any) => t.id));
      next = page.body.paging.next;
      pages += 1;
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(4);
    const filtered = await p.ingest(
      'GET',
      `/v25.0/${tenantB.businessAccountId}/message_templates?name=paged&language=es`,
      {
        token: otherToken,
      },
    );
    expect(filtered.body.data.map((t: any) => t.id)).toEqual([ids[1]]);

    // Another tenant's account and template answer as unknown ones do.
    const foreignList = await p.ingest('GET', `/v25.0/${tenantB.businessAccountId}/message_templates`, { token });
    expect([foreignList.status, foreignList.body.error.code]).toEqual([404, 100]);
    const foreignRead = await p.ingest('GET', `/v25.0/${ids[0]}`, { token });
    expect(foreignRead.status).toBe(404);
    const foreignDelete = await p.ingest('DELETE', `/v25.0/${tenantB.businessAccountId}/message_templates?name=paged`, {
      token,
    });
    expect(foreignDelete.status).toBe(404);

    // Delete one language by hsm_id, then the rest of the name.
    const one = await p.ingest(
      'DELETE',
      `/v25.0/${tenantB.businessAccountId}/message_templates?name=paged&hsm_id=${ids[0]}`,
      { token: otherToken },
    );
    expect(one.body).toEqual({ success: true });
    expect((await p.ingest('GET', `/v25.0/${ids[0]}`, { token: otherToken })).status).toBe(404);
    expect((await p.ingest('GET', `/v25.0/${ids[1]}`, { token: otherToken })).status).toBe(200);
    const rest = await p.ingest('DELETE', `/v25.0/${tenantB.businessAccountId}/message_templates?name=paged`, {
      token: otherToken,
    });
    expect(rest.body).toEqual({ success: true });
    const left = await p.ingest('GET', `/v25.0/${tenantB.businessAccountId}/message_templates`, { token: otherToken });
    expect(left.body.data.map((t: any) => t.name)).toEqual(['other_name']);
    const again = await p.ingest('DELETE', `/v25.0/${tenantB.businessAccountId}/message_templates?name=paged`, {
      token: otherToken,
    });
    expect([again.status, again.body.error.code]).toEqual([400, 100]);
  });

  it('a deleted template can no longer be sent (the cache follows at once)', async () => {
    await approvedTemplate(p.ingestUrl, tenant, { name: 'short_lived' });
    const waId = p.newCustomer();
    const before = await sendTemplate(waId, { name: 'short_lived', language: { code: 'en_US' } });
    expect(before.status).toBe(200);
    const removed = await p.ingest('DELETE', `${templatesPath()}?name=short_lived`, { token });
    expect(removed.body).toEqual({ success: true });
    const after = await sendTemplate(waId, { name: 'short_lived', language: { code: 'en_US' } });
    expect([after.status, after.body.error.code]).toEqual([404, 132001]);
  });

  it('edits a template: components replaced and reviewed again, sends follow; the Cloud API’s edit rules hold', async () => {
    const edit = (id: string, body: unknown, t = token) => p.ingest('POST', `/v25.0/${id}`, { token: t, body });
    const id = await approvedTemplate(p.ingestUrl, tenant, { name: 'parcel_notice' });
    const waId = p.newCustomer();
    const components = [{ type: 'BODY', text: 'Your parcel {{1}} is out.', example: { body_text: [['#7']] } }];

    const edited = await edit(id, { components });
    expect([edited.status, edited.body]).toEqual([200, { success: true }]);
    // Reviewed again: APPROVED a second time, with the new body.
    await waitFor(
      'the edited template approved again',
      async () =>
        statusUpdates().filter((u) => u.message_template_id === Number(id) && u.event === 'APPROVED').length === 2,
    );
    const read = await p.ingest('GET', `/v25.0/${id}?fields=status,components,category`, { token });
    expect(read.body).toEqual({ id, status: 'APPROVED', category: 'UTILITY', components });
    // Sends follow the new definition at once (this replica's catalog was dropped).
    const old = await sendTemplate(waId, { name: 'parcel_notice', language: { code: 'en_US' } });
    expect([old.status, old.body.error.code]).toEqual([400, 132000]);
    const sent = await sendTemplate(waId, {
      name: 'parcel_notice',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: '#42' }] }],
    });
    expect(sent.status).toBe(200);

    // An approved template: once per 24 hours, and it keeps its category.
    const again = await edit(id, { components: PLAIN_BODY });
    expect([again.status, again.body.error.code]).toEqual([400, 100]);
    expect(again.body.error.error_data.details).toMatch(/once in 24 hours/);
    const other = await approvedTemplate(p.ingestUrl, tenant, { name: 'category_keeper' });
    const recategorized = await edit(other, { category: 'MARKETING' });
    expect(recategorized.body.error.error_data.details).toMatch(/keeps its category \(UTILITY\)/);

    // A pending template cannot be edited; a rejected one can, category and all, without a limit.
    await setReview({ mode: 'manual' });
    try {
      const pending = await create({ name: 'pending_edit', category: 'MARKETING' });
      const refused = await edit(pending.body.id, { components });
      expect(refused.body.error.error_data.details).toMatch(/this one is PENDING/);
      await decide(pending.body.id, { status: 'REJECTED', reason: 'PROMOTIONAL' });
      await waitFor('the rejection stored', async () => {
        const r = await p.ingest('GET', `/v25.0/${pending.body.id}?fields=status`, { token });
        return r.body.status === 'REJECTED';
      });
      for (const body of [{ category: 'UTILITY' }, { components }]) {
        const res = await edit(pending.body.id, body);
        expect([res.status, res.body]).toEqual([200, { success: true }]);
        await decide(pending.body.id, { status: 'REJECTED', reason: 'INVALID_FORMAT' });
        await waitFor('the rejection stored', async () => {
          const r = await p.ingest('GET', `/v25.0/${pending.body.id}?fields=status`, { token });
          return r.body.status === 'REJECTED';
        });
      }
      const fixed = await p.ingest('GET', `/v25.0/${pending.body.id}?fields=category,components`, { token });
      expect(fixed.body).toMatchObject({ category: 'UTILITY', components });
    } finally {
      await setReview({ mode: 'approve' });
    }

    // Malformed edits, and another tenant's template, refused as the Cloud API does.
    for (const [body, details] of [
      [{}, /needs category or components/],
      [{ name: 'renamed' }, /Unexpected key "name"/],
      [{ components: [{ type: 'FOOTER', text: 'x' }] }, /a BODY is required/],
      [[], /JSON object/],
    ] as Array<[unknown, RegExp]>) {
      const res = await edit(other, body);
      expect([res.status, res.body.error?.code]).toEqual([400, 100]);
      expect(res.body.error.error_data.details).toMatch(details);
    }
    const stranger = await p.newTenant();
    const foreign = await edit(other, { components }, await stranger.token());
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 100]);
    expect((await edit('12345', { components })).status).toBe(404);
  });

  it('refuses malformed templates with 100 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'Bad Name', components: [{ type: 'BODY', text: 'x' }] }, /name must be/],
      [{ name: 'ok_name', category: 'SPAM', components: [{ type: 'BODY', text: 'x' }] }, /category must be/],
      [{ name: 'ok_name', components: [] }, /components must hold/],
      [{ name: 'ok_name', components: [{ type: 'FOOTER', text: 'x' }] }, /a BODY is required/],
      [{ name: 'ok_name', components: [{ type: 'BODY', text: 'Hi {{1}}' }] }, /example is required/],
      [
        { name: 'ok_name', components: [{ type: 'BODY', text: 'Hi {{2}}', example: { body_text: [['a']] } }] },
        /without gaps/,
      ],
      [
        { name: 'ok_name', components: [{ type: 'BODY', text: 'Hi {{1}}', example: { body_text: [['a', 'b']] } }] },
        /2 sample values for 1 variables/,
      ],
      [{ name: 'ok_name', components: [{ type: 'BODY', text: 'x'.repeat(1025) }] }, /1 to 1024/],
      [{ name: 'ok_name', components: [{ type: 'BODY', text: 'x' }], surprise: true }, /Unexpected key "surprise"/],
    ];
    for (const [body, details] of cases) {
      const res = await create(body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 100 });
      expect(res.body.error.error_data.details).toMatch(details);
    }
    const agent = await p.ingest('GET', `${templatesPath()}?limit=0`, { token });
    expect([agent.status, agent.body.error.code]).toEqual([400, 100]);
  });
});
