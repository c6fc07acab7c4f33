import { Client } from 'pg';
import { MessageEvent } from '@custody/contracts';
import { startTenantStore, TenantStoreHarness, TestTenant } from '../../../test/support/tenant-store.harness';
import { inboundMessage, publishInbound } from '../../../test/support/messages';
import { waitFor } from '../../../test/support/wait';

const DAY = 86_400_000;

describe('retention purge (real Kafka and PostgreSQL)', () => {
  let ts: TenantStoreHarness;
  let db: Client;
  beforeAll(async () => {
    ts = await startTenantStore();
    db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await ts?.close();
  });

  const platform = async (sql: string, params: unknown[]) => {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('custody.platform', 'on', true)`);
    const r = await db.query(sql, params);
    await db.query('COMMIT');
    return r.rows;
  };

  const message = (tenant: TestTenant, waId: string, ageMs: number): Promise<MessageEvent> =>
    inboundMessage(tenant, waId, { networkTimestamp: new Date(Date.now() - ageMs) });

  it('purges exactly what is past each tenant’s retention, in batches, safely run twice at once', async () => {
    const [a, b] = [await ts.newTenant(), await ts.newTenant()];
    const op = await ts.operatorToken();
    const tooLong = await ts.request('PATCH', `/v1/tenants/${a.id}`, { token: op, body: { retentionDays: 3000 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details[0]).toMatch(/between 1 and 365/);
    const patched = await ts.request('PATCH', `/v1/tenants/${a.id}`, { token: op, body: { retentionDays: 2 } });
    expect(patched.body.retentionDays).toBe(2);

    const onlyOld = await message(a, '15550100001', 5 * DAY);
    const mixedOld = await message(a, '15550100002', 5 * DAY);
    const mixedRecent = await message(a, '15550100002', 1 * DAY);
    const otherTenantOld = await message(b, '15550100003', 5 * DAY);
    const all = [onlyOld, mixedOld, mixedRecent, otherTenantOld];
    await publishInbound(all);
    const ids = all.map((e) => e.messageId);
    await waitFor(
      'all stored',
      async () =>
        (await platform(`SELECT count(*)::int AS n FROM tenant_store.messages WHERE message_id = ANY($1)`, [ids]))[0]
          .n === 4,
    );

    const [first, second] = await Promise.all([
      ts.request('POST', '/v1/retention/purge', { token: op }),
      ts.request('POST', '/v1/retention/purge', { token: op }),
    ]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.messages).toBeGreaterThanOrEqual(2);

    const left = (await platform(`SELECT message_id FROM tenant_store.messages WHERE message_id = ANY($1)`, [ids]))
      .map((r) => r.message_id)
      .sort();
    expect(left).toEqual([mixedRecent.messageId, otherTenantOld.messageId].sort());
    // The conversation keeps what is still within retention: here only Custody's recent hosted notice.
    const remaining = await platform(`SELECT origin FROM tenant_store.messages WHERE conversation_id = $1`, [
      onlyOld.conversationId,
    ]);
    expect(remaining.map((r) => r.origin)).toEqual(['system']);

    // A tenant admin may not run the purge.
    expect((await ts.request('POST', '/v1/retention/purge', { token: await a.token() })).status).toBe(403);
  });
});
