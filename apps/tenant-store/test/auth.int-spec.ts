import { Client } from 'pg';
import { decodeProtectedHeader } from 'jose';
import { TokenVerifier } from '@custody/auth';
import { mintAlgNone, mintHs256, mintWithKey, uniqueDigits } from '@custody/testing';
import {
  startTenantStore,
  TenantStoreHarness,
  TEST_AUDIENCE,
  TEST_ISSUER,
} from '../../../test/support/tenant-store.harness';

describe('tenant-store: tenants and tokens (real PostgreSQL and Kafka)', () => {
  let ts: TenantStoreHarness;

  beforeAll(async () => {
    ts = await startTenantStore();
  });
  afterAll(async () => {
    await ts?.close();
  });

  describe('operator API and token issuance', () => {
    it('creates a tenant whose credentials get a tenant-scoped token (round trip through the JWKS)', async () => {
      const tenant = await ts.newTenant();
      const token = await tenant.token();
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: expect.any(String) });

      const verifier = new TokenVerifier({
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        jwksUrl: `${ts.url}/.well-known/jwks.json`,
      });
      const principal = await verifier.verify(token);
      expect(principal).toMatchObject({ tenantId: tenant.id, roles: ['tenant_admin'] });

      const me = await ts.request('GET', '/v1/tenants/me', { token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: tenant.id, businessAccountId: tenant.businessAccountId, status: 'active' });
      expect(me.text).not.toContain(tenant.appSecret);
    });

    it('accepts HTTP Basic client authentication and narrows roles by scope', async () => {
      const tenant = await ts.newTenant();
      const basic = Buffer.from(`${tenant.clientId}:${tenant.clientSecret}`).toString('base64');
      const ok = await ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials', scope: 'tenant_admin' },
        headers: { authorization: `Basic ${basic}` },
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ token_type: 'Bearer', scope: 'tenant_admin', expires_in: 900 });

      const badScope = await ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials', scope: 'operator' },
        headers: { authorization: `Basic ${basic}` },
      });
      expect(badScope.status).toBe(400);
      expect(badScope.body.error).toBe('invalid_scope');
    });

    it('refuses a wrong secret, an unknown client and an unsupported grant in RFC 6749 shape', async () => {
      const tenant = await ts.newTenant();
      const wrong = await ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: 'nope' },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
      expect(wrong.text).not.toContain(tenant.clientSecret);

      const unknown = await ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials', client_id: 'cid_unknown', client_secret: 'x' },
      });
      expect(unknown.status).toBe(401);

      const grant = await ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'password', client_id: tenant.clientId, client_secret: tenant.clientSecret },
      });
      expect(grant.status).toBe(400);
      expect(grant.body.error).toBe('unsupported_grant_type');
    });

    it('a tenant admin cannot call operator endpoints (403), and nobody without a token (401)', async () => {
      const tenant = await ts.newTenant();
      const token = await tenant.token();
      const list = await ts.request('GET', '/v1/tenants', { token });
      expect(list.status).toBe(403);
      expect(list.body.error).toMatchObject({ status: 403, code: 'forbidden', requestId: expect.any(String) });
      const create = await ts.request('POST', '/v1/tenants', { token, body: {} });
      expect(create.status).toBe(403);
      const anonymous = await ts.request('GET', '/v1/tenants');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('unauthorized');
    });

    it('an operator token has no tenant, so tenant-only endpoints refuse it', async () => {
      const res = await ts.request('GET', '/v1/tenants/me', { token: await ts.operatorToken() });
      expect(res.status).toBe(403);
    });

    it('rejects bad tenant input with field-level details and writes nothing', async () => {
      const token = await ts.operatorToken();
      const businessAccountId = uniqueDigits(15);
      const res = await ts.request('POST', '/v1/tenants', {
        token,
        body: {
          businessAccountId,
          displayName: '',
          phoneNumbers: [{ phoneNumberId: 'abc' }],
          appSecret: 'short',
          extra: 1,
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([
          expect.stringContaining('displayName'),
          expect.stringContaining('phoneNumberId'),
          expect.stringContaining('appSecret'),
          expect.stringContaining('extra'),
        ]),
      );
      const page = await ts.request('GET', '/v1/tenants?limit=200', { token });
      expect(JSON.stringify(page.body)).not.toContain(businessAccountId);
    });

    it('answers 409 when a phone number id is already taken, and keeps the first tenant intact', async () => {
      const first = await ts.newTenant();
      const token = await ts.operatorToken();
      const res = await ts.request('POST', '/v1/tenants', {
        token,
        body: {
          businessAccountId: uniqueDigits(15),
          displayName: 'Copycat',
          phoneNumbers: [{ phoneNumberId: first.phoneNumberId, displayPhoneNumber: '+15550009999' }],
          appSecret: 'a-long-enough-app-secret',
        },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      const again = await ts.request('GET', `/v1/tenants/${first.id}`, { token });
      expect(again.body.phoneNumbers).toEqual([expect.objectContaining({ phoneNumberId: first.phoneNumberId })]);
    });

    it('a suspended tenant can no longer get tokens; reactivation restores it', async () => {
      const tenant = await ts.newTenant();
      const token = await ts.operatorToken();
      expect((await ts.request('POST', `/v1/tenants/${tenant.id}/suspend`, { token })).body.status).toBe('suspended');
      await expect(tenant.token()).rejects.toThrow(/401/);
      expect((await ts.request('POST', `/v1/tenants/${tenant.id}/activate`, { token })).body.status).toBe('active');
      await expect(tenant.token()).resolves.toEqual(expect.any(String));
    });

    it('pages through tenants with a cursor', async () => {
      await ts.newTenant();
      await ts.newTenant();
      const token = await ts.operatorToken();
      const first = await ts.request('GET', '/v1/tenants?limit=1', { token });
      expect(first.body.data).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await ts.request('GET', `/v1/tenants?limit=1&cursor=${first.body.nextCursor}`, { token });
      expect(second.body.data[0].id > first.body.data[0].id).toBe(true);
    });
  });

  describe('token rejection', () => {
    let tenantId: string;
    const base = () => ({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, tenantId, roles: ['tenant_admin'] });
    const me = (token: string) => ts.request('GET', '/v1/tenants/me', { token });

    beforeAll(async () => {
      tenantId = (await ts.newTenant()).id;
    });

    it('accepts a well-formed token signed by the issuer key (control case)', async () => {
      expect((await me(await mintWithKey(ts.privateJwks.keys[0], base()))).status).toBe(200);
    });

    it('rejects alg none', async () => {
      expect((await me(mintAlgNone(base()))).status).toBe(401);
    });

    it('rejects HS256', async () => {
      const jwk = ts.privateJwks.keys[0];
      expect((await me(await mintHs256({ ...base(), kid: jwk.kid }))).status).toBe(401);
    });

    it('rejects a wrong issuer', async () => {
      expect(
        (await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), issuer: 'https://evil.example' }))).status,
      ).toBe(401);
    });

    it('rejects a wrong audience', async () => {
      expect(
        (await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), audience: 'someone-else' }))).status,
      ).toBe(401);
    });

    it('rejects an expired token with code token_expired, but tolerates small clock skew', async () => {
      const expired = await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), expiresIn: -120 }));
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('token_expired');
      const skewed = await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), expiresIn: -5 }));
      expect(skewed.status).toBe(200);
    });

    it('rejects an unknown kid', async () => {
      expect((await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), kid: 'not-a-known-key' }))).status).toBe(
        401,
      );
    });

    it('rejects a token signed by another key with the same kid', async () => {
      const { keys } = await import('@custody/auth').then((m) =>
        m.SigningKeys.generateJwks('ES256', ts.privateJwks.keys[0].kid),
      );
      expect((await me(await mintWithKey(keys[0], base()))).status).toBe(401);
    });

    it('rejects a tenant role without a tenant id', async () => {
      expect((await me(await mintWithKey(ts.privateJwks.keys[0], { ...base(), tenantId: undefined }))).status).toBe(
        401,
      );
    });
  });

  describe('row-level security', () => {
    it('the application role sees no tenant rows before binding its transaction, and only its own after', async () => {
      const a = await ts.newTenant();
      const b = await ts.newTenant();
      const appUrl = (process.env.TENANT_STORE_DATABASE_URL || process.env.DATABASE_URL)!;
      const client = new Client({ connectionString: appUrl });
      await client.connect();
      try {
        const none = await client.query('SELECT count(*)::int AS n FROM tenant_store.tenants');
        expect(none.rows[0].n).toBe(0);
        await client.query('BEGIN');
        await client.query(`SELECT tenant_store.custody_enter_tenant($1)`, [a.id]);
        const rows = await client.query('SELECT id FROM tenant_store.tenants');
        expect(rows.rows.map((r) => r.id)).toEqual([a.id]);
        const other = await client.query(
          'SELECT phone_number_id FROM tenant_store.phone_numbers WHERE tenant_id = $1',
          [b.id],
        );
        expect(other.rowCount).toBe(0);
        await client.query('ROLLBACK');
        const owner = await client.query(
          `SELECT tableowner FROM pg_tables WHERE schemaname = 'tenant_store' AND tablename = 'tenants'`,
        );
        expect(owner.rows[0].tableowner).not.toBe(new URL(appUrl).username);
      } finally {
        await client.end();
      }
    });
  });
});
