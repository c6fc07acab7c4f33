import { NETWORK_SIGNATURE_HEADER, signBody } from '@custody/contracts';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { approvedTemplate } from '../support/templates';
import { TestTenant } from '../support/tenant-store.harness';
import { customerRef } from '../support/sealing';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

const text = (to: string, body: string) => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'text',
  text: { body },
});

describe('the hosted message path over the real stack', () => {
  let p: PlatformHarness;
  let receiver: WebhookReceiver;
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    p = await startPlatform({ ingestEnv: { PAIR_RATE_BURST: '5' } });
    receiver = await new WebhookReceiver().start();
    tenant = await p.newTenant({ webhookUrl: receiver.url });
    token = await tenant.token();
    // The templates these tests send, approved by the sandbox's review.
    await approvedTemplate(p.ingestUrl, tenant, { name: 'order_update' });
    await approvedTemplate(p.ingestUrl, tenant, { name: 'hello', language: 'en' });
  });
  afterAll(async () => {
    await p?.close();
    await receiver?.stop();
  });

  const customerWrites = async (waId: string, body: string, phoneNumberId = tenant.phoneNumberId) => {
    const res = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: { phoneNumberId, text: body, profileName: 'Ada' },
    });
    expect(res.status).toBe(201);
    expect(res.body.ingestStatus).toBe(200);
    return res.body.messageId as string;
  };
  const conversationOf = async (waId: string, t = token) => {
    const list = await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token: t });
    return list.body.data?.[0];
  };

  it('inbound → stored (marked not end-to-end) → signed webhook; the customer is told the chat is hosted', async () => {
    const waId = p.newCustomer();
    const messageId = await customerWrites(waId, 'Hello, is my order on its way?');

    const webhook = await waitFor('the inbound webhook', async () =>
      receiver.received.find((r) => r.rawBody.includes(messageId)),
    );
    expect(WebhookReceiver.verify(tenant.appSecret, webhook)).toBe(true);
    const change = webhook.body.entry[0].changes[0];
    expect(webhook.body.object).toBe('whatsapp_business_account');
    expect(webhook.body.entry[0].id).toBe(tenant.businessAccountId);
    expect(change.value.metadata.phone_number_id).toBe(tenant.phoneNumberId);
    expect(change.value.contacts[0]).toEqual({ profile: { name: 'Ada' }, wa_id: waId });
    expect(change.value.messages[0]).toMatchObject({
      from: waId,
      id: messageId,
      type: 'text',
      text: { body: 'Hello, is my order on its way?' },
    });
    expect(change.value.custody).toEqual({ e2e: false, hostedBy: 'custody' });

    const conversation = await waitFor('the conversation with the hosted notice', async () => {
      const c = await conversationOf(waId);
      if (!c) {
        return undefined;
      }
      const detail = await p.store.request('GET', `/v1/conversations/${c.id}`, { token });
      return detail.body.messages?.some((m: any) => m.origin === 'system') ? detail.body : undefined;
    });
    expect(conversation.custody).toEqual({ e2e: false, hostedBy: 'custody' });
    expect(conversation.hostedNoticeSentAt).toEqual(expect.any(String));
    const [inbound, notice] = [
      conversation.messages.find((m: any) => m.id === messageId),
      conversation.messages.find((m: any) => m.origin === 'system'),
    ];
    expect(inbound).toMatchObject({
      direction: 'inbound',
      origin: 'customer',
      content: { body: 'Hello, is my order on its way?' },
      custody: { e2e: false },
    });
    expect(notice.content.body).toMatch(/not end-to-end encrypted/);
    // The notice reached the customer through the network.
    const inbox = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
    expect(inbox.body.some((m: any) => m.origin === 'system' && /not end-to-end/.test(m.content.body))).toBe(true);
  });

  it('send → stored → statuses (shuffled, duplicated) end read, each status webhook signed', async () => {
    const waId = p.newCustomer();
    await customerWrites(waId, 'Can you send me the invoice?');
    const res = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(`+${waId}`, 'Here it is.'),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      messaging_product: 'whatsapp',
      contacts: [{ input: `+${waId}`, wa_id: waId }],
      custody: { e2e: false },
    });
    const id: string = res.body.messages[0].id;
    expect(id).toMatch(/^wamid\./);

    const statuses = await waitFor('sent, delivered and read webhooks', async () => {
      const mine = receiver.items('statuses').filter((s) => s.id === id);
      return ['sent', 'delivered', 'read'].every((s) => mine.some((m) => m.status === s)) ? mine : undefined;
    });
    expect(statuses.every((s: any) => s.recipient_id === waId)).toBe(true);
    // `sent` carries the Cloud API's pricing (a reply inside the window is a free service message),
    // and no conversation object: v24.0+ leaves it out except for free entry points.
    for (const sent of statuses.filter((s: any) => s.status === 'sent')) {
      expect(sent.pricing).toEqual({
        billable: false,
        pricing_model: 'PMP',
        type: 'free_customer_service',
        category: 'service',
      });
      expect(sent).not.toHaveProperty('conversation');
    }
    expect(statuses.filter((s: any) => s.status !== 'sent').every((s: any) => !s.pricing && !s.conversation)).toBe(
      true,
    );
    for (const w of receiver.received.filter((r) => r.rawBody.includes(id))) {
      expect(WebhookReceiver.verify(tenant.appSecret, w)).toBe(true);
    }
    const history = await waitFor('status history', async () => {
      const h = await p.store.request('GET', `/v1/messages/${id}/statuses`, { token });
      return h.body.status === 'read' ? h.body : undefined;
    });
    expect(history.history.map((h: any) => h.status).sort()).toEqual(['delivered', 'read', 'sent']);
  });

  it('statuses that arrive reordered and duplicated never move a message backwards; failed is terminal', async () => {
    const waId = p.newCustomer();
    await customerWrites(waId, 'hi');
    await p.sandbox('PUT', '/sandbox/v1/network', { body: { customersRead: false } });
    const send = await p.ingest('POST', `/v23.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'first'),
    });
    const failing = await p.ingest('POST', `/v23.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'second'),
    });
    const [id, id2] = [send.body.messages[0].id, failing.body.messages[0].id];
    const ts = Math.floor(Date.now() / 1000);
    const status = (messageId: string, s: string, at: number) => ({
      kind: 'status',
      phoneNumberId: tenant.phoneNumberId,
      status: { id: messageId, status: s, timestamp: String(at), recipientId: waId },
    });
    const events = [
      status(id, 'read', ts + 3),
      status(id, 'sent', ts + 1),
      status(id, 'delivered', ts + 2),
      status(id, 'sent', ts + 1),
      status(id, 'failed', ts + 4),
      status(id2, 'failed', ts + 1),
      status(id2, 'delivered', ts + 2),
    ];
    const body = JSON.stringify({ events });
    const posted = await p.ingest('POST', '/network/v1/events', {
      body,
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody(p.networkSecret, body) },
    });
    expect(posted.status).toBe(200);
    const finalOf = (messageId: string) =>
      p.store.request('GET', `/v1/messages/${messageId}/statuses`, { token }).then((r) => r.body.status);
    await waitFor('final statuses', async () => (await finalOf(id)) === 'read' && (await finalOf(id2)) === 'delivered');
    // Stays put after more late duplicates.
    await p.ingest('POST', '/network/v1/events', {
      body,
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody(p.networkSecret, body) },
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await finalOf(id)).toBe('read');
    const history = await p.store.request('GET', `/v1/messages/${id}/statuses`, { token });
    expect(history.body.history.filter((h: any) => h.status === 'sent')).toHaveLength(1);
    // The network's own time (whole seconds) is kept, apart from the time Custody received it. Which
    // of the two 'sent' reports (the network's or ours) came first is a race; the first one stays.
    expect(history.body.history.every((h: any) => h.timestamp.endsWith('.000Z') && h.receivedAt !== h.timestamp)).toBe(
      true,
    );
    // Only now may customers read again: the network answers asynchronously, after dispatch.
    await p.sandbox('PUT', '/sandbox/v1/network', { body: { customersRead: true } });
  });

  it('an Idempotency-Key makes a retried send return the same id and send nothing new', async () => {
    const waId = p.newCustomer();
    await customerWrites(waId, 'hello');
    const body = text(waId, 'once only');
    const headers = { 'Idempotency-Key': `key-${waId}` };
    const first = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body, headers });
    const second = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body, headers });
    expect(second.status).toBe(200);
    expect(second.body.messages[0].id).toBe(first.body.messages[0].id);
    const conflict = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'different'),
      headers,
    });
    expect(conflict.status).toBe(422);
    await waitFor(
      'the send to be stored',
      async () =>
        (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [first.body.messages[0].id]))
          .length === 1,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const business = await p.sql(
      `SELECT count(*)::int AS n FROM tenant_store.messages m JOIN tenant_store.conversations c ON c.id = m.conversation_id WHERE c.customer_ref = $1 AND m.origin = 'business'`,
      [await customerRef(tenant.id, waId)],
    );
    expect(business[0].n).toBe(1);
    const inbox = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
    expect(inbox.body.filter((m: any) => m.origin === 'business')).toHaveLength(1);
  });

  it('outside the 24-hour window a free-form send gets 131047 and publishes nothing; a template gets through', async () => {
    const waId = p.newCustomer();
    const free = await p.ingest('POST', `/v1/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'hello out of the blue'),
    });
    expect(free.status).toBe(400);
    expect(free.body.error).toMatchObject({
      code: 131047,
      type: 'OAuthException',
      fbtrace_id: expect.any(String),
      error_data: { messaging_product: 'whatsapp' },
    });
    const template = await p.ingest('POST', `/v1/${tenant.phoneNumberId}/messages`, {
      token,
      body: {
        messaging_product: 'whatsapp',
        to: waId,
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components: [] },
      },
    });
    expect(template.status).toBe(200);
    const inbox = await waitFor('the template at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      return r.body.some((m: any) => m.type === 'template') ? r.body : undefined;
    });
    expect(inbox.filter((m: any) => m.type === 'text' && m.origin === 'business')).toHaveLength(0);
    // A template is billed: its `sent` status says so.
    const sent = await waitFor('the template’s sent status', async () =>
      receiver.items('statuses').find((s) => s.id === template.body.messages[0].id && s.status === 'sent'),
    );
    expect(sent.pricing).toEqual({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' });
    expect(sent).not.toHaveProperty('conversation');
  });

  it('rejects bad input with Graph errors: code 100 with details, bad versions, unknown fields', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      [
        `/v25.0/${tenant.phoneNumberId}/messages`,
        { messaging_product: 'sms', to: '15550001111', type: 'text', text: { body: 'x' } },
        /messaging_product/,
      ],
      [
        `/v25.0/${tenant.phoneNumberId}/messages`,
        { messaging_product: 'whatsapp', to: 'not-a-number', type: 'text', text: { body: 'x' } },
        /to must be a phone number/,
      ],
      [
        `/v25.0/${tenant.phoneNumberId}/messages`,
        { messaging_product: 'whatsapp', to: '15550001111', type: 'text', text: { body: '' } },
        /body/,
      ],
      [
        `/v25.0/${tenant.phoneNumberId}/messages`,
        { messaging_product: 'whatsapp', to: '15550001111', type: 'text', text: { body: 'x' }, surprise: 1 },
        /Unexpected key "surprise"/,
      ],
      [
        `/latest/${tenant.phoneNumberId}/messages`,
        { messaging_product: 'whatsapp', to: '15550001111', type: 'text', text: { body: 'x' } },
        /version/,
      ],
    ];
    for (const [path, body, details] of cases) {
      const res = await p.ingest('POST', path, { token, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(100);
      expect(res.body.error.error_data.details).toMatch(details);
    }
    const noToken = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      body: text('15550001111', 'x'),
    });
    expect(noToken.status).toBe(401);
    expect(noToken.body.error.code).toBe(190);
  });

  it('refuses a send without the object of its type (100, naming the field) and publishes nothing; takes paths without a version', async () => {
    const waId = p.newCustomer();
    const empty: unknown[] = [
      { messaging_product: 'whatsapp', to: waId, type: 'text' },
      { messaging_product: 'whatsapp', to: waId },
      { messaging_product: 'whatsapp', to: waId, type: 'image' },
      { messaging_product: 'whatsapp', to: waId, type: 'reaction' },
      { messaging_product: 'whatsapp', to: waId, type: 'template' },
    ];
    for (const body of empty) {
      const res = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 100 });
      expect(res.body.error.error_data.details).toMatch(/is required for a message of type/);
    }
    // A published SDK posts without the version segment: served like any version.
    const versionless = await p.ingest('POST', `/${tenant.phoneNumberId}/messages`, {
      token,
      body: {
        messaging_product: 'whatsapp',
        // What SDKs send for "no reply context", as the Cloud API accepts it.
        context: null,
        to: waId,
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' } },
      },
    });
    expect(versionless.status).toBe(200);
    const id = versionless.body.messages[0].id;
    const inbox = await waitFor('the versionless send at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      return r.body.length > 0 ? r.body : undefined;
    });
    // Only the template reached the customer (plus Custody's hosted-chat notice): none of the refused sends.
    expect(inbox.filter((m: any) => m.origin === 'business').map((m: any) => m.messageId)).toEqual([id]);
    // Every other Graph route takes the versionless form too, served as the default version.
    const phone = await p.ingest('GET', `/${tenant.phoneNumberId}`, { token });
    expect(phone.status).toBe(200);
    expect(phone.body.id).toBe(tenant.phoneNumberId);
    const templates = await p.ingest('GET', `/${tenant.businessAccountId}/message_templates?limit=1`, { token });
    expect(templates.status).toBe(200);
    expect(Array.isArray(templates.body.data)).toBe(true);
    const profile = await p.ingest('GET', `/${tenant.phoneNumberId}/whatsapp_business_profile`, { token });
    expect(profile.status).toBe(200);
    // Ingest's own routes are not taken for Graph objects.
    expect((await p.ingest('GET', '/health/live')).status).toBe(200);
  });

  it('sends interactive, location, contacts and sticker messages in the window, and refuses malformed ones', async () => {
    const waId = p.newCustomer();
    await customerWrites(waId, 'what do you have?');
    await waitFor('the inbound message', () => conversationOf(waId, token));
    const rich: Array<Record<string, unknown>> = [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Which size?' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 's', title: 'Small' } },
              { type: 'reply', reply: { id: 'l', title: 'Large' } },
            ],
          },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Our shoes' },
          action: { button: 'Browse', sections: [{ title: 'Boots', rows: [{ id: 'b1', title: 'Hiking boot' }] }] },
        },
      },
      { type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Our shop' } },
      {
        type: 'contacts',
        contacts: [{ name: { formatted_name: 'Support desk' }, phones: [{ phone: '+15550002222', type: 'WORK' }] }],
      },
      { type: 'sticker', sticker: { link: 'https://example.com/thanks.webp' } },
    ];
    const ids: string[] = [];
    for (const body of rich) {
      const res = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
        token,
        body: { messaging_product: 'whatsapp', to: waId, ...body },
      });
      expect({ type: body.type, status: res.status }).toEqual({ type: body.type, status: 200 });
      ids.push(res.body.messages[0].id);
    }
    const inbox = await waitFor('the five messages at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`);
      const mine = r.body.filter((m: any) => ids.includes(m.messageId));
      return mine.length === ids.length ? mine : undefined;
    });
    expect(inbox.map((m: any) => m.type).sort()).toEqual([
      'contacts',
      'interactive',
      'interactive',
      'location',
      'sticker',
    ]);
    const location = inbox.find((m: any) => m.type === 'location');
    expect(location.content).toMatchObject({ latitude: 52.52, name: 'Our shop' });

    // The customer taps a reply button: the tenant gets an `interactive` webhook (button_reply) in context.
    const reply = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: {
        phoneNumberId: tenant.phoneNumberId,
        interactive: { type: 'button_reply', id: 'l', title: 'Large' },
        replyTo: ids[0],
      },
    });
    expect({ status: reply.status, ingest: reply.body.ingestStatus }).toEqual({ status: 201, ingest: 200 });
    const webhook = await waitFor('the button reply webhook', async () =>
      receiver.received.find((r) => r.rawBody.includes(reply.body.messageId)),
    );
    // One delivery may batch several changes (statuses and messages): the reply is in one of them.
    const replied = webhook.body.entry[0].changes
      .flatMap((c: any) => c.value.messages ?? [])
      .find((m: any) => m.id === reply.body.messageId);
    expect(replied).toMatchObject({
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'l', title: 'Large' } },
      context: { id: ids[0] },
    });

    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [
        { type: 'interactive', interactive: { type: 'button', body: { text: 'x' }, action: { buttons: [] } } },
        /1 to 3/,
      ],
      [{ type: 'location', location: { latitude: 120, longitude: 0 } }, /latitude/],
      [{ type: 'contacts', contacts: [{ name: {} }] }, /formatted_name/],
      [{ type: 'sticker', sticker: { caption: 'x', link: 'https://cdn.example.com/s.webp' } }, /only a link or an id/],
      // An id that is no upload of this tenant.
      [{ type: 'sticker', sticker: { id: '1' } }, /not a valid whatsapp business account media attachment ID/],
    ];
    for (const [body, details] of bad) {
      const res = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
        token,
        body: { messaging_product: 'whatsapp', to: waId, ...body },
      });
      expect({ type: body.type, status: res.status, code: res.body.error?.code }).toEqual({
        type: body.type,
        status: 400,
        code: 100,
      });
      expect(res.body.error.error_data.details).toMatch(details);
    }
  });

  it('takes the token as the Graph API does: the Authorization header, or ?access_token= without one', async () => {
    const waId = p.newCustomer();
    const template = {
      messaging_product: 'whatsapp',
      to: waId,
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' } },
    };
    const post = (query: string, headers: Record<string, string>) =>
      fetch(`${p.ingestUrl}/v25.0/${tenant.phoneNumberId}/messages${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(template),
      });
    const byQuery = await post(`?access_token=${encodeURIComponent(token)}`, {});
    expect(byQuery.status).toBe(200);
    const forged = await post('?access_token=not-a-token', {});
    expect({ status: forged.status, code: ((await forged.json()) as any).error.code }).toEqual({
      status: 401,
      code: 190,
    });
    // The header wins over the parameter: a bad header is not rescued by a good parameter.
    const badHeader = await post(`?access_token=${encodeURIComponent(token)}`, { authorization: 'Bearer not-a-token' });
    expect(badHeader.status).toBe(401);
    // tenant-store keeps to the header (the parameter is ingest's Graph convention only).
    const store = await fetch(`${p.store.url}/v1/conversations?access_token=${encodeURIComponent(token)}`);
    expect(store.status).toBe(401);
  });

  it('mark-as-read: only a message this number received, kept, and the customer sees the blue ticks', async () => {
    const waId = p.newCustomer();
    const first = await customerWrites(waId, 'did my order ship?');
    const second = await customerWrites(waId, 'hello?');
    await waitFor('both inbound messages', async () => {
      const rows = await p.sql(`SELECT 1 FROM ingest.inbound_messages WHERE message_id = ANY($1)`, [[first, second]]);
      return rows.length === 2;
    });
    const markRead = (messageId: string, t = token, phoneNumberId = tenant.phoneNumberId) =>
      p.ingest('POST', `/v25.0/${phoneNumberId}/messages`, {
        token: t,
        body: { messaging_product: 'whatsapp', status: 'read', message_id: messageId },
      });
    const read = await markRead(first);
    expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: { success: true } });
    const ticks = await waitFor('the blue ticks at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/sent?phoneNumberId=${tenant.phoneNumberId}`);
      const sent = r.body.find((m: any) => m.messageId === first);
      return sent?.readAt ? r.body : undefined;
    });
    expect(ticks.find((m: any) => m.messageId === second).readAt).toBeNull();
    const [row] = await p.sql(`SELECT read_at FROM ingest.inbound_messages WHERE message_id = $1`, [first]);
    expect(row.read_at).not.toBeNull();
    // Again: still 200, the first read time is kept.
    expect((await markRead(first)).status).toBe(200);
    const [again] = await p.sql(`SELECT read_at FROM ingest.inbound_messages WHERE message_id = $1`, [first]);
    expect(again.read_at).toEqual(row.read_at);

    // An unknown id, one of the business's own (outbound) messages, another tenant's: all 100.
    const own = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'yes, it shipped'),
    });
    const other = await p.newTenant();
    const theirs = await customerWrites(p.newCustomer(), 'hi other', other.phoneNumberId);
    for (const id of ['wamid.doesnotexist1234', own.body.messages[0].id, theirs]) {
      const res = await markRead(id);
      expect({ id, status: res.status, code: res.body.error?.code }).toEqual({ id, status: 400, code: 100 });
    }
    // Nor through the other tenant's number (not the caller's: 404 like any foreign number).
    expect((await markRead(theirs, token, other.phoneNumberId)).status).toBe(404);
  });

  it('tenant A can neither send from B’s number nor read B’s conversations, and learns nothing about B', async () => {
    const other = await p.newTenant();
    const otherToken = await other.token();
    const waId = p.newCustomer();
    await customerWrites(waId, 'hi B', other.phoneNumberId);
    const bConversation = await waitFor('B’s conversation', () => conversationOf(waId, otherToken));

    const send = await p.ingest('POST', `/v25.0/${other.phoneNumberId}/messages`, {
      token,
      body: text(waId, 'pretending to be B'),
    });
    const unknown = await p.ingest('POST', `/v25.0/999999999999999/messages`, { token, body: text(waId, 'x') });
    expect(send.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(send.body.error.code).toBe(unknown.body.error.code);
    expect(send.text).not.toContain(other.id);
    expect(send.text).not.toContain(other.businessAccountId);

    const read = await p.store.request('GET', `/v1/conversations/${bConversation.id}`, { token });
    expect(read.status).toBe(404);
    expect(read.text).not.toContain(waId);
    const list = await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token });
    expect(list.body.data).toEqual([]);
    const statuses = await p.store.request('GET', `/v1/messages/${bConversation.id}/statuses`, { token });
    expect(statuses.status).toBe(404);
  });

  it('enforces the number’s throughput (130429) and the pair rate to one customer (131056)', async () => {
    const slow = await p.newTenant({ messagesPerSecond: 2 });
    await approvedTemplate(p.ingestUrl, slow, { name: 'hello', language: 'en' });
    const slowToken = await slow.token();
    const template = (to: string) => ({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: 'hello', language: { code: 'en' } },
    });
    const results = [];
    for (let i = 0; i < 4; i += 1) {
      results.push(
        (
          await p.ingest('POST', `/v25.0/${slow.phoneNumberId}/messages`, {
            token: slowToken,
            body: template(p.newCustomer()),
          })
        ).body,
      );
    }
    expect(results.filter((r) => r.error?.code === 130429).length).toBeGreaterThanOrEqual(1);

    const waId = p.newCustomer();
    const codes = [];
    for (let i = 0; i < 7; i += 1) {
      const r = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body: template(waId) });
      codes.push(r.body.error?.code ?? r.status);
    }
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes).toContain(131056);
  });

  it('verifies the network signature over the raw body; a bad signature or malformed batch publishes nothing', async () => {
    const waId = p.newCustomer();
    const event = {
      kind: 'message',
      phoneNumberId: tenant.phoneNumberId,
      from: { waId },
      message: {
        id: `wamid.forged${waId}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: 'forged' },
      },
    };
    const body = JSON.stringify({ events: [event] });
    const forged = await p.ingest('POST', '/network/v1/events', {
      body,
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody('wrong-secret-wrong-secret', body) },
    });
    expect(forged.status).toBe(403);
    const unsigned = await p.ingest('POST', '/network/v1/events', { body });
    expect(unsigned.status).toBe(403);
    // A correctly signed batch captured ten minutes ago is not accepted again (the MAC covers the time).
    const replayed = await p.ingest('POST', '/network/v1/events', {
      body,
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody(p.networkSecret, body, Date.now() - 600_000) },
    });
    expect(replayed.status).toBe(403);
    const malformed = JSON.stringify({ events: [event, { kind: 'message', phoneNumberId: tenant.phoneNumberId }] });
    const bad = await p.ingest('POST', '/network/v1/events', {
      body: malformed,
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody(p.networkSecret, malformed) },
    });
    expect(bad.status).toBe(400);
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [`wamid.forged${waId}`]),
    ).toHaveLength(0);
  });
});
