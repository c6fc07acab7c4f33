import { ConsentHarness, startConsent } from '../support/consent.harness';

/**
 * Rate limits of the token endpoint (per client id and per source address) and of the tenant
 * APIs (per tenant), with 429 and Retry-After in each API's error shape. Low limits for this file.
 */
describe('rate limits (real stack)', () => {
  let h: ConsentHarness;

  beforeAll(async () => {
    process.env.RATE_LIMIT_TOKEN_PER_MINUTE = '6';
    process.env.RATE_LIMIT_API_PER_SECOND = '1';
    process.env.RATE_LIMIT_API_BURST = '30';
    h = await startConsent();
  });
  afterAll(async () => {
    await h?.close();
    process.env.RATE_LIMIT_TOKEN_PER_MINUTE = '1000000';
    delete process.env.RATE_LIMIT_API_PER_SECOND;
    delete process.env.RATE_LIMIT_API_BURST;
  });

  it('slows down guessing a client secret: 429 slow_down with Retry-After, in the OAuth error shape', async () => {
    const t = await h.newTenant();
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof h.ts.request>> | undefined;
    for (let i = 0; i < 8; i++) {
      last = await h.ts.request('POST', '/v1/oauth/token', {
        form: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: `wrong-${i}` },
      });
      statuses.push(last.status);
    }
    // The harness already took one token for this client: five wrong secrets, then 429 on.
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThanOrEqual(4);
    expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
    expect(last!.body).toEqual({ error: 'slow_down', error_description: expect.stringContaining('retry after') });
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Even the right secret waits now: the limit is on the client id, not on failures.
    const right = await h.ts.request('POST', '/v1/oauth/token', {
      form: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret },
    });
    expect(right.status).toBe(429);
  });

  it('limits each tenant on its own, in the API error shape, on tenant-store and consent', async () => {
    const [a, b] = [await h.newTenant(), await h.newTenant()];
    const burst = async (request: typeof h.request, path: string, token: string) => {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof h.request>> | undefined;
      for (let i = 0; i < 40; i++) {
        last = await request('GET', path, { token });
        statuses.push(last.status);
      }
      return { statuses, last: last! };
    };
    const store = await burst(h.ts.request, '/v1/conversations', a.admin);
    expect(store.statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(store.last.status).toBe(429);
    expect((store.last.body as { error: object }).error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(store.last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const consent = await burst(h.request, '/v1/consent/purposes', a.admin);
    expect(consent.last.status).toBe(429);
    expect((consent.last.body as { error: { code: string } }).error.code).toBe('rate_limited');
    // Another tenant is not held up by the first.
    expect((await h.ts.request('GET', '/v1/conversations', { token: b.admin })).status).toBe(200);
  });
});
