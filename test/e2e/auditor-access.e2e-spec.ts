import { decodeJwt } from 'jose';
import { ConsentHarness, startConsent } from '../support/consent.harness';

/**
 * Auditor access as docs/auditors.md describes it: the operator mints auditor credentials, for one
 * tenant or platform-wide, each with an expiry; tokens never outlive them; and every read an
 * auditor makes of a consent log is recorded where the tenant can see it.
 */
describe('auditor credentials minted by the operator, and audited reads (real PostgreSQL)', () => {
  let h: ConsentHarness;
  beforeAll(async () => {
    h = await startConsent();
  });
  afterAll(async () => {
    await h?.close();
  });

  const mint = async (body: Record<string, unknown>) =>
    h.ts.request('POST', '/v1/auditor-credentials', { token: await h.ts.operatorToken(), body });
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const token = (clientId: string, clientSecret: string) =>
    h.ts.request('POST', '/v1/oauth/token', {
      form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    });

  it('mints a platform-wide credential whose token reads any log, and each read is recorded for the tenant', async () => {
    const [a, b] = [await h.newTenant(), await h.newTenant()];
    const created = await mint({ expiresAt: inDays(30), label: 'Example Audit LLP, 2026 review' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      clientId: expect.stringMatching(/^aud_/),
      tenantId: null,
      revokedAt: null,
      clientSecret: expect.any(String),
    });
    const issued = await token(created.body.clientId, created.body.clientSecret);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(issued.body.access_token);
    expect(claims).toMatchObject({ sub: `auditor:${created.body.clientId}`, roles: ['auditor'] });
    expect(claims.tenant_id).toBeUndefined();
    const auditor = issued.body.access_token as string;

    for (const t of [a, b]) {
      expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor })).status).toBe(200);
    }
    expect(
      (await h.request('GET', `/v1/audit/logs/${a.id}/proofs/consistency?first=0&second=0`, { token: auditor })).status,
    ).toBe(200);
    expect((await h.request('GET', '/v1/audit/logs', { token: auditor })).status).toBe(200);

    const reads = await h.request('GET', `/v1/audit/logs/${a.id}/reads`, { token: a.admin });
    expect(reads.status).toBe(200);
    expect(reads.body.data.map((r: { route: string }) => r.route)).toEqual([
      '/v1/audit/logs/:tenantId/proofs/consistency',
      '/v1/audit/logs/:tenantId/tree-head',
    ]);
    expect(reads.body.data[0]).toMatchObject({
      reader: `auditor:${created.body.clientId}`,
      method: 'GET',
      query: { first: '0', second: '0' },
      tokenId: claims.jti,
    });
    // The tenant's own admin reading its log is not an auditor read; another tenant cannot see a's reads.
    expect((await h.request('GET', `/v1/audit/logs/${b.id}/reads`, { token: a.admin })).status).toBe(403);
    expect((await h.request('GET', `/v1/audit/logs/${b.id}/reads`, { token: b.admin })).body.data).toHaveLength(1);

    const listed = await h.ts.request('GET', '/v1/auditor-credentials', { token: await h.ts.operatorToken() });
    expect(listed.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clientId: created.body.clientId, label: 'Example Audit LLP, 2026 review' }),
      ]),
    );
    expect(JSON.stringify(listed.body)).not.toContain(created.body.clientSecret);
  });

  it('scopes a credential to one tenant, refuses it once revoked or expired, and never issues a token that outlives it', async () => {
    const [a, b] = [await h.newTenant(), await h.newTenant()];
    const scoped = await mint({ tenantId: a.id, expiresAt: inDays(1), label: 'tenant a only' });
    expect(scoped.status).toBe(201);
    const auditor = (await token(scoped.body.clientId, scoped.body.clientSecret)).body.access_token as string;
    expect(decodeJwt(auditor).tenant_id).toBe(a.id);
    expect((await h.request('GET', `/v1/audit/logs/${a.id}/tree-head`, { token: auditor })).status).toBe(200);
    expect((await h.request('GET', `/v1/audit/logs/${b.id}/tree-head`, { token: auditor })).status).toBe(403);

    const revoked = await h.ts.request('POST', `/v1/auditor-credentials/${scoped.body.clientId}/revoke`, {
      token: await h.ts.operatorToken(),
    });
    expect(revoked).toMatchObject({ status: 200, body: { revokedAt: expect.any(String) } });
    expect((await token(scoped.body.clientId, scoped.body.clientSecret)).body).toMatchObject({
      error: 'invalid_client',
    });

    const short = await mint({
      tenantId: a.id,
      expiresAt: new Date(Date.now() + 3000).toISOString(),
      label: 'three seconds',
    });
    const early = await token(short.body.clientId, short.body.clientSecret);
    expect(early.body.expires_in).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect((await token(short.body.clientId, short.body.clientSecret)).body).toMatchObject({
      error: 'invalid_client',
      error_description: 'The auditor credential has expired',
    });

    for (const bad of [
      { expiresAt: inDays(-1), label: 'past' },
      { expiresAt: inDays(400), label: 'too long' },
      { expiresAt: 'tomorrow', label: 'x' },
      { expiresAt: inDays(1) },
    ]) {
      expect((await mint(bad)).status).toBe(400);
    }
    expect(
      (await mint({ tenantId: '00000000-0000-4000-8000-000000000000', expiresAt: inDays(1), label: 'nobody' })).status,
    ).toBe(404);
    expect(
      (
        await h.ts.request('POST', '/v1/auditor-credentials', {
          token: a.admin,
          body: { expiresAt: inDays(1), label: 'self-made' },
        })
      ).status,
    ).toBe(403);
  });
});
