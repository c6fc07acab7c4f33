import { uniqueDigits } from '@custody/testing';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';

/**
 * The Cloud API's phone number object (`GET /{phone-number-id}`), business profile
 * (`GET/POST /{phone-number-id}/whatsapp_business_profile`) and `cta_url` interactive messages.
 */
describe('phone numbers and business profiles (real stack)', () => {
  let p: PlatformHarness;
  let a: TestTenant;
  let b: TestTenant;
  const name = `Harbour Shoes ${uniqueDigits(6)}`;

  beforeAll(async () => {
    p = await startPlatform();
    a = await p.newTenant({ displayName: name, messagesPerSecond: 1000 });
    b = await p.newTenant();
  });
  afterAll(async () => {
    await p?.close();
  });

  it('reads a number: the default fields, or those asked for; another tenant’s number is unknown', async () => {
    const token = await a.token();
    const number = await waitFor('the verified name routed', async () => {
      const res = await p.ingest('GET', `/v25.0/${a.phoneNumberId}`, { token });
      return res.body.verified_name === name ? res : undefined;
    });
    expect(number.status).toBe(200);
    expect(number.body).toEqual({
      id: a.phoneNumberId,
      display_phone_number: expect.stringMatching(/^\+\d+$/),
      verified_name: name,
      quality_rating: 'NA',
    });
    const asked = await p.ingest('GET', `/v25.0/${a.phoneNumberId}?fields=throughput,status,platform_type`, { token });
    expect(asked.body).toEqual({
      id: a.phoneNumberId,
      throughput: { level: 'HIGH' },
      status: 'CONNECTED',
      platform_type: 'CLOUD_API',
    });
    const standard = await p.ingest('GET', `/v25.0/${b.phoneNumberId}?fields=throughput`, { token: await b.token() });
    expect(standard.body.throughput).toEqual({ level: 'STANDARD' });
    const badField = await p.ingest('GET', `/v25.0/${a.phoneNumberId}?fields=secret`, { token });
    expect([badField.status, badField.body.error.code]).toEqual([400, 100]);
    const foreign = await p.ingest('GET', `/v25.0/${b.phoneNumberId}`, { token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 100]);
  });

  it('lists the numbers of a business account a page at a time, filtered; another tenant’s account is unknown', async () => {
    const waba = uniqueDigits(15);
    const ids = [uniqueDigits(15), uniqueDigits(15), uniqueDigits(15)].sort();
    const c = await p.newTenant({
      businessAccountId: waba,
      phoneNumbers: ids.map((phoneNumberId) => ({ phoneNumberId, displayPhoneNumber: `+1555${uniqueDigits(7)}` })),
    });
    const token = await c.token();
    // Versionless, as SDKs call it; all three once ingest has the tenant's numbers.
    const all = await waitFor('the three numbers routed', async () => {
      const res = await p.ingest('GET', `/${waba}/phone_numbers`, { token });
      return res.status === 200 && res.body.data.length === 3 ? res : undefined;
    });
    expect(all.body.data.map((n: any) => n.id)).toEqual(ids);
    expect(Object.keys(all.body.data[0]).sort()).toEqual(
      ['display_phone_number', 'id', 'quality_rating', 'verified_name'].sort(),
    );
    expect(all.body.paging.next).toBeUndefined();
    // Two pages of two and one, there and back.
    const first = await p.ingest('GET', `/v25.0/${waba}/phone_numbers?limit=2&fields=status`, { token });
    expect(first.body.data).toEqual([
      { id: ids[0], status: 'CONNECTED' },
      { id: ids[1], status: 'CONNECTED' },
    ]);
    expect(first.body.paging.previous).toBeUndefined();
    const next = new URL(first.body.paging.next, 'http://x');
    const second = await p.ingest('GET', `${next.pathname}${next.search}`, { token });
    expect(second.body.data).toEqual([{ id: ids[2], status: 'CONNECTED' }]);
    expect(second.body.paging.next).toBeUndefined();
    const back = await p.ingest(
      'GET',
      `/v25.0/${waba}/phone_numbers?limit=2&before=${second.body.paging.cursors.before}`,
      { token },
    );
    expect(back.body.data.map((n: any) => n.id)).toEqual([ids[0], ids[1]]);
    // filtering as the Cloud API writes it.
    const live = encodeURIComponent(JSON.stringify([{ field: 'account_mode', operator: 'EQUAL', value: 'LIVE' }]));
    expect((await p.ingest('GET', `/v25.0/${waba}/phone_numbers?filtering=${live}`, { token })).body.data).toHaveLength(
      3,
    );
    const sandbox = encodeURIComponent(
      JSON.stringify([{ field: 'account_mode', operator: 'EQUAL', value: 'SANDBOX' }]),
    );
    expect((await p.ingest('GET', `/v25.0/${waba}/phone_numbers?filtering=${sandbox}`, { token })).body).toEqual({
      data: [],
    });
    for (const bad of [
      'filtering=%5B',
      'filtering=%5B%7B%22field%22%3A%22secret%22%7D%5D',
      'limit=0',
      'sort=creation_time.asc',
      'fields=secret',
      'after=%2F%2F',
    ]) {
      const res = await p.ingest('GET', `/v25.0/${waba}/phone_numbers?${bad}`, { token });
      expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 100]);
    }
    // Another tenant's account is unknown to the caller, as is one nobody has.
    const foreign = await p.ingest('GET', `/v25.0/${waba}/phone_numbers`, { token: await a.token() });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 100]);
    const nobody = await p.ingest('GET', `/v25.0/${uniqueDigits(15)}/phone_numbers`, { token });
    expect([nobody.status, nobody.body.error.code]).toEqual([404, 100]);
  });

  it('keeps a business profile per number: set field by field, read whole or by fields, refused when malformed', async () => {
    const token = await a.token();
    const path = `/v25.0/${a.phoneNumberId}/whatsapp_business_profile`;
    expect((await p.ingest('GET', path, { token })).body).toEqual({ data: [{ messaging_product: 'whatsapp' }] });
    const set = await p.ingest('POST', path, {
      token,
      body: {
        messaging_product: 'whatsapp',
        about: 'Shoes for every road',
        email: 'help@harbour.example.com',
        websites: ['https://harbour.example.com'],
        vertical: 'RETAIL',
      },
    });
    expect(set.body).toEqual({ success: true });
    const more = await p.ingest('POST', path, {
      token,
      body: { messaging_product: 'whatsapp', address: 'Quay 1, Harbour Town' },
    });
    expect(more.body).toEqual({ success: true });
    expect((await p.ingest('GET', path, { token })).body).toEqual({
      data: [
        {
          messaging_product: 'whatsapp',
          about: 'Shoes for every road',
          address: 'Quay 1, Harbour Town',
          email: 'help@harbour.example.com',
          websites: ['https://harbour.example.com'],
          vertical: 'RETAIL',
        },
      ],
    });
    const some = await p.ingest('GET', `${path}?fields=about,vertical`, { token });
    expect(some.body).toEqual({
      data: [{ about: 'Shoes for every road', vertical: 'RETAIL', messaging_product: 'whatsapp' }],
    });

    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ about: 'x' }, /messaging_product/],
      [{ messaging_product: 'whatsapp', about: 'x'.repeat(140) }, /about/],
      [{ messaging_product: 'whatsapp', websites: ['a', 'b', 'c'] }, /websites/],
      [{ messaging_product: 'whatsapp', vertical: 'SPACE' }, /vertical/],
      [{ messaging_product: 'whatsapp', email: 'not-an-email' }, /email/],
      [{ messaging_product: 'whatsapp', surprise: 1 }, /Unexpected key "surprise"/],
    ];
    for (const [body, details] of bad) {
      const res = await p.ingest('POST', path, { token, body });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 100 });
      expect(res.body.error.error_data.details).toMatch(details);
    }
    // Another tenant's number: unknown, to read and to write.
    const bToken = await b.token();
    expect((await p.ingest('GET', path, { token: bToken })).status).toBe(404);
    expect(
      (await p.ingest('POST', path, { token: bToken, body: { messaging_product: 'whatsapp', about: 'mine' } })).status,
    ).toBe(404);
    expect((await p.ingest('GET', path, { token })).body.data[0].about).toBe('Shoes for every road');
  });

  it('sends a cta_url interactive message in the window and refuses a malformed one', async () => {
    const token = await a.token();
    const waId = p.newCustomer();
    const wrote = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: { phoneNumberId: a.phoneNumberId, text: 'where is your shop?' },
    });
    expect(wrote.body.ingestStatus).toBe(200);
    const interactive = {
      type: 'cta_url',
      body: { text: 'Find us online' },
      action: { name: 'cta_url', parameters: { display_text: 'Open the shop', url: 'https://harbour.example.com' } },
    };
    const sent = await p.ingest('POST', `/v25.0/${a.phoneNumberId}/messages`, {
      token,
      body: { messaging_product: 'whatsapp', to: waId, type: 'interactive', interactive },
    });
    expect(sent.status).toBe(200);
    const delivered = await waitFor('the cta_url message at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${a.phoneNumberId}`);
      return (r.body as any[]).find((m) => m.messageId === sent.body.messages[0].id);
    });
    expect(delivered.content).toEqual(interactive);
    const bad = await p.ingest('POST', `/v25.0/${a.phoneNumberId}/messages`, {
      token,
      body: {
        messaging_product: 'whatsapp',
        to: waId,
        type: 'interactive',
        interactive: {
          ...interactive,
          action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'ftp://x' } },
        },
      },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 100]);
    expect(bad.body.error.error_data.details).toMatch(/url/);
  });
});
