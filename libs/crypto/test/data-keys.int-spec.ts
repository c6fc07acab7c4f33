// The data key table over the real PostgreSQL: the SQL of dataKeysTableSql(), SqlDataKeyStore
// through TenantDb (as tenant-store will use it), and row-level security for the app role.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { asTenantId, createDataSource, rlsPoliciesSql, tenantBindingSql, TenantDb, TenantId } from '@custody/database';
import {
  dataKeysTableSql,
  FieldCipher,
  LocalKeyProvider,
  MasterKeyFile,
  SqlDataKeyStore,
  TenantKeyring,
} from '@custody/crypto';
import { dataKeyStoreContract } from '../src/testing/data-key-store.contract';

const ownerUrl = process.env.MIGRATION_DATABASE_URL!;
// tenant-store's logins (the service that keeps data keys), or the shared ones of a given database.
const appUrl = (process.env.TENANT_STORE_DATABASE_URL || process.env.DATABASE_URL)!;
const appRole = decodeURIComponent(new URL(appUrl).username);
const platformUrl = (process.env.TENANT_STORE_DATABASE_PLATFORM_URL || process.env.DATABASE_PLATFORM_URL)!;
const platformRole = decodeURIComponent(new URL(platformUrl).username);
const run = randomUUID().slice(0, 8);
const schemas: string[] = [];

function keyFile(...ids: string[]): MasterKeyFile {
  return { keys: ids.map((id) => ({ id, key: randomBytes(32).toString('base64') })) };
}

function newTenant(): TenantId {
  return asTenantId(randomUUID());
}

/**
 * A schema of its own with the data key table (with `table`), created by the owner role and
 * granted to the app role, with the tenant binding and the policies a service's migrations give it.
 */
async function createSchema(name: string, table = true): Promise<string> {
  const schema = `crypto_it_${run}_${name}`;
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    for (const sql of tenantBindingSql(schema, appRole)) {
      await owner.query(sql);
    }
    if (!table) {
      await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}`);
      return schema;
    }
    for (const sql of dataKeysTableSql(schema)) {
      await owner.query(sql);
    }
    await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}`);
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.data_keys TO ${appRole}`);
    await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${platformRole}`);
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.data_keys TO ${platformRole}`);
    await owner.query(rlsPoliciesSql(schema, { appRole, platformRole }));
  } finally {
    await owner.end();
  }
  return schema;
}

describe('libs/crypto data keys over the real PostgreSQL', () => {
  let dataSource: DataSource;
  let platformDataSource: DataSource;
  let db: TenantDb;

  beforeAll(async () => {
    // The pool's own schema: where TenantDb binds its transactions' tenant (the binding holds for
    // the session, so it covers every schema's policies).
    const base = await createSchema('base', false);
    dataSource = createDataSource({
      url: appUrl,
      schema: base,
      entities: [],
      poolSize: 6,
      applicationName: 'crypto-int-test',
    });
    await dataSource.initialize();
    platformDataSource = createDataSource({
      url: platformUrl,
      schema: base,
      entities: [],
      poolSize: 2,
      applicationName: 'crypto-int-test-platform',
    });
    await platformDataSource.initialize();
    db = new TenantDb(dataSource, platformDataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await platformDataSource?.destroy();
    const owner = new Client({ connectionString: ownerUrl });
    await owner.connect();
    for (const schema of schemas) {
      await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
    await owner.end();
  });

  describe('SqlDataKeyStore meets the store contract', () => {
    let store: SqlDataKeyStore;
    beforeAll(async () => {
      store = new SqlDataKeyStore(db, { table: `${await createSchema('contract')}.data_keys` });
    });
    dataKeyStoreContract(() => store);
  });

  describe('the table', () => {
    let schema: string;
    let table: string;
    let store: SqlDataKeyStore;
    let keyring: TenantKeyring;
    let cipher: FieldCipher;
    const file = keyFile('mk-2026-11');

    beforeAll(async () => {
      schema = await createSchema('rls');
      table = `${schema}.data_keys`;
      store = new SqlDataKeyStore(db, { table });
      keyring = new TenantKeyring(store, new LocalKeyProvider(file));
      cipher = new FieldCipher(keyring);
    });

    it('is owned by the owner role, with forced row-level security', async () => {
      const [row] = await dataSource.query(
        `SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'data_keys'`,
        [schema],
      );
      expect(row).toEqual({
        relrowsecurity: true,
        relforcerowsecurity: true,
        owner: expect.not.stringMatching(`^${appRole}$`),
      });
    });

    it('lets the app role see and change only the tenant of its transaction', async () => {
      const [a, b] = [newTenant(), newTenant()];
      await cipher.encrypt(a, 'hello', { messageId: 'm-1', field: 'body' });
      await cipher.encrypt(b, 'hello', { messageId: 'm-1', field: 'body' });
      await keyring.rotate(b);

      const visible = await db.forTenant(a, (m) => m.query(`SELECT tenant_id, version FROM ${table} ORDER BY version`));
      expect(visible).toEqual([{ tenant_id: a, version: 1 }]);
      await expect(
        db.forTenant(a, (m) => m.query(`SELECT * FROM ${table} WHERE tenant_id = $1`, [b])),
      ).resolves.toEqual([]);
      await expect(dataSource.query(`SELECT * FROM ${table}`)).resolves.toEqual([]);

      // Writing or shredding another tenant's keys from a's transaction does nothing or fails.
      const [, updated] = await db.forTenant(a, (m) =>
        m.query(`UPDATE ${table} SET wrapped_key = NULL, destroyed_at = now() WHERE tenant_id = $1`, [b]),
      );
      expect(updated).toBe(0);
      const [, deleted] = await db.forTenant(a, (m) => m.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [b]));
      expect(deleted).toBe(0);
      await expect(
        db.forTenant(a, (m) =>
          m.query(
            `INSERT INTO ${table} (tenant_id, version, master_key_id, wrapped_key) VALUES ($1, 9, 'mk', '\\x00')`,
            [b],
          ),
        ),
      ).rejects.toThrow(/row-level security/);
      await expect(keyring.versions(b)).resolves.toHaveLength(2);

      // No setting the app role can change widens its view (the old `custody.platform` escape,
      // the tenant setting policies once read).
      const widened = await db.forTenant(a, async (m) => {
        await m.query(`SELECT set_config('custody.platform', 'on', true), set_config('custody.tenant_id', $1, true)`, [
          b,
        ]);
        return m.query(`SELECT DISTINCT tenant_id FROM ${table} WHERE tenant_id = ANY($1::uuid[])`, [[a, b]]);
      });
      expect(widened).toEqual([{ tenant_id: a }]);

      // The platform scan of master rotation is the one path that sees across tenants: its own login.
      const all = await db.forPlatform((m) =>
        m.query(`SELECT DISTINCT tenant_id FROM ${table} WHERE tenant_id = ANY($1::uuid[])`, [[a, b]]),
      );
      expect(all).toHaveLength(2);
    });

    it('allows one active key per tenant and no key material on a destroyed key', async () => {
      const tenant = newTenant();
      await keyring.activeKey(tenant);
      await expect(
        db.forTenant(tenant, (m) =>
          m.query(
            `INSERT INTO ${table} (tenant_id, version, master_key_id, wrapped_key) VALUES ($1, 2, 'mk', '\\x00')`,
            [tenant],
          ),
        ),
      ).rejects.toThrow(/data_keys_one_active/);
      await expect(
        db.forTenant(tenant, (m) => m.query(`UPDATE ${table} SET destroyed_at = now() WHERE tenant_id = $1`, [tenant])),
      ).rejects.toThrow(/data_keys_destroyed_have_no_key/);
    });

    it('stores only wrapped keys and ciphertexts: the raw rows do not reveal the data key or the body', async () => {
      const tenant = newTenant();
      const body = 'the body nobody may read from a dump';
      const envelope = await cipher.encrypt(tenant, body, { messageId: 'm-1', field: 'body' });
      const dataKey = (await keyring.activeKey(tenant)).key.export();
      const [row] = await db.forTenant(tenant, (m) =>
        m.query(`SELECT wrapped_key, master_key_id FROM ${table} WHERE tenant_id = $1`, [tenant]),
      );
      expect(row.master_key_id).toBe('mk-2026-11');
      expect(row.wrapped_key).toHaveLength(61);
      expect((row.wrapped_key as Buffer).includes(dataKey)).toBe(false);
      expect(envelope).not.toContain(body);
      expect(Buffer.from(envelope.split('.')[3], 'base64url').includes(Buffer.from(body))).toBe(false);
    });

    it('crypto-shreds: after destroy the row holds no key, and a fresh replica cannot decrypt', async () => {
      const tenant = newTenant();
      const envelope = await cipher.encrypt(tenant, 'to be forgotten', { messageId: 'm-1', field: 'body' });
      await expect(keyring.destroy(tenant)).resolves.toBe(1);
      const rows = await db.forTenant(tenant, (m) =>
        m.query(`SELECT wrapped_key, destroyed_at FROM ${table} WHERE tenant_id = $1`, [tenant]),
      );
      expect(rows).toEqual([{ wrapped_key: null, destroyed_at: expect.any(Date) }]);
      const fresh = new FieldCipher(new TenantKeyring(store, new LocalKeyProvider(file)));
      await expect(fresh.decrypt(tenant, envelope, { messageId: 'm-1', field: 'body' })).rejects.toMatchObject({
        name: 'DecryptionError',
        reason: 'key-destroyed',
      });
      await expect(keyring.purge(tenant)).resolves.toBe(1);
      await expect(
        db.forTenant(tenant, (m) => m.query(`SELECT 1 FROM ${table} WHERE tenant_id = $1`, [tenant])),
      ).resolves.toEqual([]);
    });

    it('two replicas racing on a first use and a rotation end with one key each step', async () => {
      const tenant = newTenant();
      const replicas = [0, 1, 2].map(() => new TenantKeyring(store, new LocalKeyProvider(file)));
      const first = await Promise.all(replicas.map((k) => k.activeKey(tenant)));
      expect(first.every((k) => k.key.equals(first[0].key))).toBe(true);
      // Replicas rotating at once: a replica that found version 1 and lost the race ends on the
      // winner's key; one that started after a rotation had committed rotates once more. Either
      // way: versions without gaps, one active key, and that is the newest any replica returned.
      const rotated = await Promise.all(replicas.map((k) => k.rotate(tenant)));
      const newest = Math.max(...rotated.map((r) => r.version));
      expect(newest).toBeGreaterThanOrEqual(2);
      expect((await keyring.versions(tenant)).map((v) => [v.version, v.active])).toEqual(
        Array.from({ length: newest }, (_, i) => [i + 1, i + 1 === newest]),
      );
      // Rotations of the same active version, however they interleave: the row lock lets exactly one win.
      const attempts = await Promise.all(
        [0, 1, 2].map(() =>
          store.rotate(tenant, newest, {
            tenantId: tenant,
            version: newest + 1,
            masterKeyId: 'mk-2026-11',
            wrappedKey: randomBytes(60),
          }),
        ),
      );
      expect(attempts.filter(Boolean)).toHaveLength(1);
      expect((await keyring.versions(tenant)).filter((v) => v.active).map((v) => v.version)).toEqual([newest + 1]);
    });
  });

  it('master rotation over SQL: rewrapAll moves every live key, ciphertexts decrypt with the new master key alone', async () => {
    const table = `${await createSchema('rewrap')}.data_keys`;
    const store = new SqlDataKeyStore(db, { table });
    const file = keyFile('mk-2027-05', 'mk-2026-11');
    const oldOnly = { keys: [file.keys[1]] };
    const before = new FieldCipher(new TenantKeyring(store, new LocalKeyProvider(oldOnly)));
    const tenants = [newTenant(), newTenant(), newTenant()];
    const envelopes = await Promise.all(
      tenants.map((t) => before.encrypt(t, `hello ${t}`, { messageId: 'm-1', field: 'body' })),
    );

    const rotating = new TenantKeyring(store, new LocalKeyProvider(file));
    const result = await rotating.rewrapAll({ batchSize: 2 });
    expect(result).toMatchObject({ masterKeyId: 'mk-2027-05', rewrapped: 3, failed: 0 });
    const masters = await db.forPlatform((m) => m.query(`SELECT DISTINCT master_key_id FROM ${table}`));
    expect(masters).toEqual([{ master_key_id: 'mk-2027-05' }]);

    const after = new FieldCipher(new TenantKeyring(store, new LocalKeyProvider({ keys: [file.keys[0]] })));
    for (const [i, t] of tenants.entries()) {
      await expect(after.decryptString(t, envelopes[i], { messageId: 'm-1', field: 'body' })).resolves.toBe(
        `hello ${t}`,
      );
    }
  });
});
