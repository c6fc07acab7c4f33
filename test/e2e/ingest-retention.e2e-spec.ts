import { randomUUID } from 'node:crypto';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';

/**
 * ingest keeps each tenant's retention too (issue 11): its webhook deliveries and attempts and the
 * stored send responses older than the tenant's retention are purged; younger rows, and another
 * tenant's rows within its own retention, stay. Real Kafka (the retention arrives with the tenant
 * event) and PostgreSQL.
 */
describe('ingest retention purge (real stack)', () => {
  let p: PlatformHarness;
  let shortLived: TestTenant;
  let longLived: TestTenant;

  beforeAll(async () => {
    p = await startPlatform();
    shortLived = await p.newTenant();
    longLived = await p.newTenant();
  });

  afterAll(async () => {
    await p?.close();
  });

  /** One delivery, one attempt and one stored response of the tenant, made `ageDays` ago. */
  async function rowsOf(tenant: TestTenant, ageDays: number): Promise<{ eventId: string; key: string }> {
    const eventId = `stored:${randomUUID()}`;
    const key = `k-${randomUUID()}`;
    const at = new Date(Date.now() - ageDays * 86_400_000);
    await p.sql(
      `INSERT INTO ingest.webhook_deliveries (tenant_id, event_id, business_account_id, phone_number_id, kind, payload, state, created_at, delivered_at)
       VALUES ($1, $2, $3, $4, 'message', '{}'::jsonb, 'delivered', $5, $5)`,
      [tenant.id, eventId, tenant.businessAccountId, tenant.phoneNumberId, at],
    );
    await p.sql(
      `INSERT INTO ingest.webhook_attempts (tenant_id, delivery_ids, url, attempted_at, status_code, duration_ms)
       VALUES ($1, '{}', $2, $3, 200, 5)`,
      [tenant.id, `https://hooks.example/${eventId}`, at],
    );
    await p.sql(
      `INSERT INTO ingest.idempotency_keys (tenant_id, key, request_hash, response, created_at) VALUES ($1, $2, 'h', '{}'::jsonb, $3)`,
      [tenant.id, key, at],
    );
    return { eventId, key };
  }

  async function held(tenant: TestTenant, rows: { eventId: string; key: string }): Promise<number[]> {
    const [d] = await p.sql(
      `SELECT count(*)::int AS n FROM ingest.webhook_deliveries WHERE tenant_id = $1 AND event_id = $2`,
      [tenant.id, rows.eventId],
    );
    const [a] = await p.sql(
      `SELECT count(*)::int AS n FROM ingest.webhook_attempts WHERE tenant_id = $1 AND url = $2`,
      [tenant.id, `https://hooks.example/${rows.eventId}`],
    );
    const [k] = await p.sql(
      `SELECT count(*)::int AS n FROM ingest.idempotency_keys WHERE tenant_id = $1 AND key = $2`,
      [tenant.id, rows.key],
    );
    return [d.n, a.n, k.n];
  }

  it("purges what is past the tenant's retention as tenant-store published it, and nothing else", async () => {
    const operator = await p.store.operatorToken();
    const patched = await p.store.request('PATCH', `/v1/tenants/${shortLived.id}`, {
      token: operator,
      body: { retentionDays: 2 },
    });
    expect(patched.status).toBe(200);
    await waitFor('ingest to learn both tenants’ retention', async () => {
      const rows = await p.sql(
        `SELECT tenant_id, retention_days FROM ingest.tenant_retention WHERE tenant_id = ANY($1::uuid[])`,
        [[shortLived.id, longLived.id]],
      );
      const days = Object.fromEntries(rows.map((r: any) => [r.tenant_id, r.retention_days]));
      return days[shortLived.id] === 2 && days[longLived.id] > 3;
    });

    const expired = await rowsOf(shortLived, 3);
    const fresh = await rowsOf(shortLived, 1);
    const othersOld = await rowsOf(longLived, 3);

    // Operators only.
    expect((await p.ingest('POST', '/v1/retention/purge', { token: await shortLived.token() })).status).toBe(403);
    const [first, second] = await Promise.all([
      p.ingest('POST', '/v1/retention/purge', { token: operator }),
      p.ingest('POST', '/v1/retention/purge', { token: operator }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.webhookDeliveries).toBeGreaterThanOrEqual(1);
    expect(first.body).toMatchObject({ startedAt: expect.any(String), finishedAt: expect.any(String) });

    expect(await held(shortLived, expired)).toEqual([0, 0, 0]);
    expect(await held(shortLived, fresh)).toEqual([1, 1, 1]);
    expect(await held(longLived, othersOld)).toEqual([1, 1, 1]);

    const last = await p.ingest('GET', '/v1/retention/last', { token: operator });
    expect(last.status).toBe(200);
    expect(last.body.tenants).toBeGreaterThanOrEqual(2);
  });

  it('offboarding drops the tenant’s retention with the rest of its rows', async () => {
    const gone = await p.newTenant();
    await waitFor('ingest to learn the retention', async () => {
      const rows = await p.sql(`SELECT 1 FROM ingest.tenant_retention WHERE tenant_id = $1`, [gone.id]);
      return rows.length === 1;
    });
    const res = await p.store.request('DELETE', `/v1/tenants/${gone.id}`, {
      token: await p.store.operatorToken(),
      body: { confirmBusinessAccountId: gone.businessAccountId },
    });
    expect(res.status).toBeLessThan(300);
    await waitFor('ingest to drop the tenant', async () => {
      const rows = await p.sql(`SELECT 1 FROM ingest.tenant_retention WHERE tenant_id = $1`, [gone.id]);
      return rows.length === 0;
    });
  });
});
