import { randomUUID } from 'node:crypto';
import { ConsentHarness, ConsentTenant, startConsent } from '../support/consent.harness';

/**
 * Inputs that used to answer 500 (issue 15: manual probes and schemathesis) answer 400 in each
 * API's error shape, and nothing is changed.
 */
describe('bad input answers 400, never 500 (real stack)', () => {
  let h: ConsentHarness;
  let t: ConsentTenant;

  beforeAll(async () => {
    h = await startConsent();
    t = await h.newTenant();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('token endpoint: a lone % in HTTP Basic credentials, a NUL in client_id (OAuth error shape)', async () => {
    for (const credentials of [`${t.clientId}:100%`, `%zz:${t.clientSecret}`, `${t.clientId}\u0000:x`]) {
      const res = await h.ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials' },
        headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
      });
      expect({ credentials, status: res.status, error: res.body.error }).toEqual({
        credentials,
        status: 400,
        error: 'invalid_request',
      });
    }
    const nul = await h.ts.request('POST', '/v1/oauth/token', {
      form: { grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' },
    });
    expect({ status: nul.status, error: nul.body.error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('tenant-store: PATCH a tenant with null or nothing, a crafted cursor, an authorization without destination', async () => {
    const operator = await h.ts.operatorToken();
    for (const body of [{ messagesPerSecond: null }, { retentionDays: null }, {}]) {
      const res = await h.ts.request('PATCH', `/v1/tenants/${t.id}`, { token: operator, body });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
    // Dates JavaScript reads and PostgreSQL refuses (or places elsewhere) answer 400 like any bad cursor.
    for (const at of ['1', '2026-02-31T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-01-01T24:00:00.000Z']) {
      const crafted = Buffer.from(JSON.stringify({ at, id: randomUUID() })).toString('base64url');
      const listed = await h.ts.request('GET', `/v1/conversations?customer=15550009876&cursor=${crafted}`, {
        token: t.admin,
      });
      expect({ at, status: listed.status, code: listed.body.error?.code }).toEqual({
        at,
        status: 400,
        code: 'bad_request',
      });
    }
    const noDestination = await h.ts.request('POST', '/v1/marketing/authorizations', {
      token: t.admin,
      body: { dataUses: ['marketing.advertising.first_party.targeted'], scope: 'all' },
    });
    expect({ status: noDestination.status, code: noDestination.body.error?.code }).toEqual({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('a NUL character in a JSON body or a URL answers 400 and writes nothing (schemathesis found a 500)', async () => {
    const operator = await h.ts.operatorToken();
    const businessAccountId = String(Date.now()).slice(-12);
    const created = await h.ts.request('POST', '/v1/tenants', {
      token: operator,
      body: {
        displayName: 'Nul Shop',
        appSecret: 'an-app-secret-with-a-\u0000-in-it',
        businessAccountId,
        phoneNumbers: [{ phoneNumberId: `9${businessAccountId}`, displayPhoneNumber: '+15550001234' }],
      },
    });
    expect({ status: created.status, code: created.body.error?.code }).toEqual({ status: 400, code: 'bad_request' });
    expect(created.body.error.message).toMatch(/NUL/);
    // Nothing was written: the same business account id and number are still free.
    const again = await h.ts.request('POST', '/v1/tenants', {
      token: operator,
      body: {
        displayName: 'Nul Shop',
        appSecret: 'an-app-secret-without-a-nul',
        businessAccountId,
        phoneNumbers: [{ phoneNumberId: `9${businessAccountId}`, displayPhoneNumber: '+15550001234' }],
      },
    });
    expect(again.status).toBe(201);
    const conversations = await h.ts.request('GET', '/v1/conversations?customer=1555%00', { token: t.admin });
    expect({ status: conversations.status, code: conversations.body.error?.code }).toEqual({
      status: 400,
      code: 'bad_request',
    });
    const history = await h.request('GET', '/v1/consent/customers/1555%0000/history', { token: t.admin });
    expect(history.status).toBe(400);
  });

  it("the operator's webhookUrl at tenant creation follows the egress guard's policy (400, nothing written)", async () => {
    const operator = await h.ts.operatorToken();
    for (const webhookUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.7/hook',
      'http://[::ffff:192.168.1.1]/hook',
      'https://user:secret@hooks.example.com/hook',
      'ftp://hooks.example.com/hook',
    ]) {
      const businessAccountId = `8${randomUUID().replace(/\D/g, '').slice(0, 12)}`;
      const res = await h.ts.request('POST', '/v1/tenants', {
        token: operator,
        body: {
          displayName: 'Hook Shop',
          appSecret: 'an-app-secret-of-the-hook-shop',
          businessAccountId,
          phoneNumbers: [{ phoneNumberId: `7${businessAccountId}`, displayPhoneNumber: '+15550001234' }],
          webhookUrl,
        },
      });
      expect({ webhookUrl, status: res.status, code: res.body.error?.code }).toEqual({
        webhookUrl,
        status: 400,
        code: 'validation_failed',
      });
    }
  });

  it('consent: integers beyond 2^53 and empty integer parameters', async () => {
    const history = await h.request('GET', '/v1/consent/customers/15550001111/history?after=99999999999999999999', {
      token: t.admin,
    });
    expect(history.status).toBe(400);
    const auditor = await t.auditorToken();
    for (const query of ['index=', 'index=1e3', 'index=99999999999999999999']) {
      const res = await h.request('GET', `/v1/audit/logs/${t.id}/proofs/inclusion?${query}`, { token: auditor });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    const exported = await h.request('GET', `/v1/audit/logs/${t.id}/entries?from=`, { token: auditor });
    expect(exported.status).toBe(400);
  });
});
