import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalKeyProvider } from '@custody/crypto';
import { uniqueDigits } from '@custody/testing';
import { startTenantStore, TenantStoreHarness, TestTenant } from '../../../test/support/tenant-store.harness';
import { inboundMessage, publishInbound } from '../../../test/support/messages';
import { waitFor } from '../../../test/support/wait';

const CLI = join(__dirname, '..', '..', '..', 'libs', 'crypto', 'dist', 'master-key.cli.js');

/** The operator's key-file tool, as a separate process (it prints key ids only). */
function masterKeyCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) =>
      error ? reject(new Error(stderr)) : resolve(stdout),
    );
  });
}

/**
 * Master key rotation as an operator runs it (docs/encryption.md): add the new key, make it active,
 * restart, rewrap through the operator API, check nothing is left under the old key, remove it
 * from the file, restart — and every stored message still decrypts.
 */
describe('master key rotation (real Kafka and PostgreSQL)', () => {
  let ts: TenantStoreHarness | undefined;
  let db: Client;
  const file = join(mkdtempSync(join(tmpdir(), 'custody-mk-')), 'master-keys.json');

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await ts?.close();
  });

  const platform = async <T = any>(sql: string, params: unknown[]): Promise<T[]> => {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('custody.platform', 'on', true)`);
    const r = await db.query(sql, params);
    await db.query('COMMIT');
    return r.rows as T[];
  };

  async function restart(): Promise<TenantStoreHarness> {
    await ts?.close();
    ts = await startTenantStore({ masterKeys: LocalKeyProvider.fromFile(file) });
    return ts;
  }

  async function store(tenant: TestTenant, body: string): Promise<string> {
    const waId = `1555${uniqueDigits(7)}`;
    const event = await inboundMessage(tenant, waId, { body, masterKeys: LocalKeyProvider.fromFile(file) });
    const id = event.messageId;
    await publishInbound([event]);
    await waitFor(
      'the message stored',
      async () => (await platform(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [id])).length === 1,
      45_000,
    );
    return event.conversationId;
  }

  async function contentOf(tenant: TestTenant, conversationId: string): Promise<Array<string | null>> {
    const token = await ts!.tokenFor(tenant.clientId, tenant.clientSecret);
    const res = await ts!.request('GET', `/v1/conversations/${conversationId}`, { token });
    expect(res.status).toBe(200);
    return res.body.messages.filter((m: any) => m.origin === 'customer').map((m: any) => m.content?.body ?? null);
  }

  const keysOf = async (tenantIds: string[]) =>
    platform<{ master_key_id: string }>(
      `SELECT master_key_id FROM tenant_store.data_keys WHERE tenant_id = ANY($1::uuid[]) AND destroyed_at IS NULL`,
      [tenantIds],
    );

  it('rewraps every data key under the new master key; the old one is then removed and everything still decrypts', async () => {
    const [oldId, newId] = [`mk-old-${randomBytes(3).toString('hex')}`, `mk-new-${randomBytes(3).toString('hex')}`];
    await masterKeyCli('create', file, '--id', oldId);
    await restart();
    const tenants = [await ts!.newTenant(), await ts!.newTenant()];
    const conversations = [
      await store(tenants[0], 'before rotation, tenant A'),
      await store(tenants[1], 'before rotation, tenant B'),
    ];
    // A second data key version for tenant A (retired, still decrypting): rewrap covers it too.
    const op = await ts!.operatorToken();
    expect((await ts!.request('POST', `/v1/tenants/${tenants[0].id}/keys/rotate`, { token: op })).status).toBe(202);
    expect((await keysOf(tenants.map((t) => t.id))).map((k) => k.master_key_id)).toEqual([oldId, oldId, oldId]);

    // Steps 1-2: the new key first in the file, then roll out (restart).
    expect(await masterKeyCli('add', file, '--id', newId)).toContain(`${oldId} (active), ${newId}`);
    expect(await masterKeyCli('activate', file, newId)).toContain(`${newId} (active), ${oldId}`);
    await restart();
    const before = await ts!.request('GET', '/v1/master-keys', { token: await ts!.operatorToken() });
    expect(before.status).toBe(200);
    expect(before.body.activeMasterKeyId).toBe(newId);
    // (At least ours: on a broker shared with other test runs, this replica may also have stored others' traffic.)
    expect(before.body.dataKeysByMasterKey.find((k: any) => k.masterKeyId === oldId).dataKeys).toBeGreaterThanOrEqual(
      3,
    );

    // Step 3: rewrap through the operator API (in the background), until it is done.
    const token = await ts!.operatorToken();
    expect((await ts!.request('POST', '/v1/master-keys/rewrap')).status).toBe(401);
    const tenantAdmin = await ts!.tokenFor(tenants[0].clientId, tenants[0].clientSecret);
    expect((await ts!.request('POST', '/v1/master-keys/rewrap', { token: tenantAdmin })).status).toBe(403);
    const started = await ts!.request('POST', '/v1/master-keys/rewrap', { token });
    expect(started.status).toBe(202);
    expect(started.body.rewrap).toMatchObject({ state: expect.stringMatching(/running|done/) });
    const done = await waitFor('the rewrap to finish', async () => {
      const res = await ts!.request('GET', '/v1/master-keys', { token });
      return res.body.rewrap?.state === 'done' ? res.body : undefined;
    });
    expect(done.rewrap).toMatchObject({ masterKeyId: newId });
    expect(done.rewrap.rewrapped).toBeGreaterThanOrEqual(3);
    // Data keys of other test runs' tenants, under master keys this file does not hold, are reported, not touched.
    expect(done.rewrap.failures.every((f: any) => !tenants.some((t) => t.id === f.tenantId))).toBe(true);
    expect(done.dataKeysByMasterKey.find((k: any) => k.masterKeyId === oldId)).toBeUndefined();
    expect((await keysOf(tenants.map((t) => t.id))).map((k) => k.master_key_id)).toEqual([newId, newId, newId]);

    // Step 4: nothing is under the old key, so it leaves the file; restart with the new key alone.
    expect(await masterKeyCli('remove', file, oldId)).toContain(`${newId} (active)`);
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.map((k: { id: string }) => k.id)).toEqual([newId]);
    await restart();
    expect(await contentOf(tenants[0], conversations[0])).toEqual(['before rotation, tenant A']);
    expect(await contentOf(tenants[1], conversations[1])).toEqual(['before rotation, tenant B']);
    const after = await store(tenants[0], 'after rotation');
    expect(await contentOf(tenants[0], after)).toEqual(['after rotation']);
  });
});
