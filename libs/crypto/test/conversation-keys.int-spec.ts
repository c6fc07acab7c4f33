// The conversation key store over the real PostgreSQL, as the services' migrations made it
// (custody_keys, run.sh migrate): its functions answer only for the tenant the caller's
// transaction is bound to, each service's app role gets only what it needs, nobody reads the table,
// and a conversation's keys behave as the keyring expects (one live key, a new generation after
// destruction, compare-and-set rewrap).
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { asTenantId, createDataSource, TenantDb, TenantId } from '@custody/database';
import {
  ConversationKeyring,
  FieldCipher,
  LocalKeyProvider,
  MemoryDataKeyStore,
  SqlConversationKeyStore,
  TenantKeyring,
} from '@custody/crypto';

const ownerUrl = process.env.MIGRATION_DATABASE_URL!;

function serviceDb(service: 'TENANT_STORE' | 'INGEST' | 'CONSENT' | 'MARKETING_EXPORT', schema: string) {
  const app = createDataSource({
    url: (process.env[`${service}_DATABASE_URL`] || process.env.DATABASE_URL)!,
    schema,
    entities: [],
    poolSize: 3,
    applicationName: `conversation-keys-it-${schema}`,
  });
  const platform = createDataSource({
    url: (process.env[`${service}_DATABASE_PLATFORM_URL`] || process.env.DATABASE_PLATFORM_URL)!,
    schema,
    entities: [],
    poolSize: 1,
    applicationName: `conversation-keys-it-${schema}-platform`,
  });
  return { app, platform, db: new TenantDb(app, platform) };
}

function newTenant(): TenantId {
  return asTenantId(randomUUID());
}

function candidate(version = 1) {
  return { keyId: randomUUID(), dataKeyVersion: version, wrappedKey: randomBytes(61) };
}

describe('custody_keys: the conversation key store in PostgreSQL', () => {
  const sources: DataSource[] = [];
  let tenantStore: TenantDb;
  let ingest: TenantDb;
  let exportDb: TenantDb;
  let owner: Client;

  beforeAll(async () => {
    const ts = serviceDb('TENANT_STORE', 'tenant_store');
    const ing = serviceDb('INGEST', 'ingest');
    const ex = serviceDb('MARKETING_EXPORT', 'marketing_export');
    for (const s of [ts, ing, ex]) {
      await s.app.initialize();
      await s.platform.initialize();
      sources.push(s.app, s.platform);
    }
    [tenantStore, ingest, exportDb] = [ts.db, ing.db, ex.db];
    owner = new Client({ connectionString: ownerUrl });
    await owner.connect();
  });
  afterAll(async () => {
    await owner?.end();
    for (const s of sources) {
      await s.destroy();
    }
  });

  it('gives a conversation one live key, and a new generation once it is destroyed', async () => {
    const store = new SqlConversationKeyStore(ingest);
    const tenant = newTenant();
    const conversation = randomUUID();
    const first = candidate();
    const [a, b] = await Promise.all([
      store.current(tenant, conversation, first),
      store.current(tenant, conversation, candidate()),
    ]);
    expect(a.keyId).toBe(b.keyId);
    expect(a).toMatchObject({ generation: 1, dataKeyVersion: 1, destroyed: false, conversationId: conversation });
    expect(await store.byId(tenant, a.keyId)).toMatchObject({ keyId: a.keyId, conversationId: conversation });
    expect(await store.byId(tenant, randomUUID())).toBeNull();
    expect((await store.byIds(tenant, [a.keyId, randomUUID()])).map((r) => r.keyId)).toEqual([a.keyId]);
    expect(await store.byIds(newTenant(), [a.keyId])).toEqual([]);

    const owned = new SqlConversationKeyStore(tenantStore);
    expect(await owned.destroy(tenant, [conversation])).toBe(1);
    expect(await owned.destroy(tenant, [conversation])).toBe(0);
    expect(await store.byId(tenant, a.keyId)).toMatchObject({ destroyed: true, wrappedKey: null });
    const next = await store.current(tenant, conversation, candidate());
    expect(next.generation).toBe(2);
    expect(next.keyId).not.toBe(a.keyId);
    const raw = await owner.query(
      `SELECT generation, wrapped_key IS NULL AS gone FROM custody_keys.conversation_keys WHERE tenant_id = $1 ORDER BY generation`,
      [tenant],
    );
    expect(raw.rows).toEqual([
      { generation: 1, gone: true },
      { generation: 2, gone: false },
    ]);
  });

  it('gives many conversations their current keys in one call (a burst of first contacts)', async () => {
    const store = new SqlConversationKeyStore(ingest);
    const tenant = newTenant();
    const conversations = Array.from({ length: 5 }, () => randomUUID()).sort();
    const existing = await store.current(tenant, conversations[2], candidate());
    const requests = conversations.map((conversationId) => ({ conversationId, candidate: candidate() }));
    const keys = await store.currentMany(tenant, requests);
    expect([...keys.keys()].sort()).toEqual(conversations);
    expect(keys.get(conversations[2])!.keyId).toBe(existing.keyId);
    expect(keys.get(conversations[0])).toMatchObject({ keyId: requests[0].candidate.keyId, generation: 1 });
    expect((await store.currentMany(tenant, requests)).get(conversations[0])!.keyId).toBe(requests[0].candidate.keyId);
  });

  it('answers only for the tenant the transaction is bound to', async () => {
    const tenant = newTenant();
    const other = newTenant();
    const key = await new SqlConversationKeyStore(ingest).current(tenant, randomUUID(), candidate());
    await expect(
      ingest.forTenant(other, (m) =>
        m.query(`SELECT * FROM custody_keys.conversation_key_by_id($1, $2)`, [tenant, key.keyId]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      ingest.forPlatform((m) =>
        m.query(`SELECT * FROM custody_keys.conversation_key_by_id($1, $2)`, [tenant, key.keyId]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it("grants each service's app role only what it needs; nobody reads the table", async () => {
    const tenant = newTenant();
    const destroy = (db: TenantDb) =>
      db.forTenant(tenant, (m) =>
        m.query(`SELECT custody_keys.destroy_conversation_keys($1, $2::uuid[])`, [tenant, []]),
      );
    await expect(destroy(ingest)).rejects.toMatchObject({ code: '42501' });
    await expect(destroy(tenantStore)).resolves.toBeDefined();
    await expect(
      ingest.forTenant(tenant, (m) => m.query(`SELECT * FROM custody_keys.conversation_keys LIMIT 1`)),
    ).rejects.toMatchObject({ code: '42501' });
    // marketing-export never sees content: no rights in the key store at all.
    await expect(
      exportDb.forTenant(tenant, (m) =>
        m.query(`SELECT * FROM custody_keys.conversation_key_by_id($1, $2)`, [tenant, randomUUID()]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const definers = await owner.query(
      `SELECT p.proname, p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'custody_keys' AND p.proname <> ALL ('{custody_tenant,custody_enter_tenant}')`,
    );
    expect(definers.rows.length).toBe(9);
    for (const f of definers.rows) {
      expect({ f: f.proname, definer: f.prosecdef, config: f.proconfig }).toEqual({
        f: f.proname,
        definer: true,
        config: ['search_path=pg_catalog, pg_temp'],
      });
    }
  });

  it('seals and opens through the services: ingest seals, tenant-store opens, destroys; rewrap is compare-and-set', async () => {
    const provider = LocalKeyProvider.ephemeral(['mk-it']);
    const dataKeys = new MemoryDataKeyStore();
    const tenant = newTenant();
    const conversation = randomUUID();
    const keyring = new TenantKeyring(dataKeys, provider);
    const edge = new FieldCipher(keyring, new ConversationKeyring(new SqlConversationKeyStore(ingest), keyring));
    const ownerRing = new ConversationKeyring(new SqlConversationKeyStore(tenantStore), keyring);
    const store = new FieldCipher(keyring, ownerRing);
    const aad = { messageId: 'wamid.it', field: 'content' };
    const sealed = await edge.encrypt(tenant, 'hello', aad, { conversationId: conversation });
    expect(await store.decryptString(tenant, sealed, aad)).toBe('hello');

    await keyring.rotate(tenant);
    expect(await ownerRing.countByDataKeyVersion(tenant)).toEqual(new Map([[1, 1]]));
    expect(await ownerRing.rewrap(tenant)).toEqual({ dataKeyVersion: 2, rewrapped: 1, failed: 0 });
    expect(await ownerRing.countByDataKeyVersion(tenant)).toEqual(new Map([[2, 1]]));
    const fresh = new FieldCipher(keyring, new ConversationKeyring(new SqlConversationKeyStore(ingest), keyring));
    expect(await fresh.decryptString(tenant, sealed, aad)).toBe('hello');

    expect(await ownerRing.destroy(tenant, [conversation])).toBe(1);
    const after = new FieldCipher(keyring, new ConversationKeyring(new SqlConversationKeyStore(ingest), keyring));
    await expect(after.decrypt(tenant, sealed, aad)).rejects.toMatchObject({ reason: 'key-destroyed' });
    expect(await ownerRing.purge(tenant)).toBe(1);
    await expect(after.decrypt(tenant, sealed, aad)).rejects.toMatchObject({ reason: 'unknown-key-version' });
  });
});
