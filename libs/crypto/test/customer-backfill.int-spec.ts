// The upgrade path of rows that held a customer's number in clear over the real PostgreSQL: the
// migration's SQL (moveClearNumbersSql) on a table of its own shaped like tenant_store.conversations
// was, then the service's backfill (backfillCustomerRefs) from the holding table.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { asTenantId } from '@custody/database';
import {
  backfillCustomerRefs,
  CustomerIdentity,
  CustomerIndexKeys,
  FieldCipher,
  LocalKeyProvider,
  MemoryCustomerIndexKeyStore,
  MemoryDataKeyStore,
  moveClearNumbersSql,
  SqlQueryable,
  TenantKeyring,
} from '@custody/crypto';

const schema = `backfill_it_${randomUUID().slice(0, 8)}`;
let owner: Client;

async function inSchema<T>(work: (db: SqlQueryable) => Promise<T>): Promise<T> {
  await owner.query(`BEGIN; SET LOCAL search_path TO ${schema}`);
  try {
    const result = await work(owner);
    await owner.query('COMMIT');
    return result;
  } catch (error) {
    await owner.query('ROLLBACK');
    throw error;
  }
}
const runner = {
  forTenant: <T>(_: unknown, work: (db: SqlQueryable) => Promise<T>) => inSchema(work),
  forPlatform: inSchema,
};

describe('customers’ numbers stored in clear before references (real PostgreSQL)', () => {
  beforeAll(async () => {
    owner = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await owner.connect();
    await owner.query(`CREATE SCHEMA ${schema}`);
    await owner.query(
      `CREATE TABLE ${schema}.conversations (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, customer_wa_id text NOT NULL)`,
    );
  });
  afterAll(async () => {
    await owner?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await owner?.end();
  });

  it('the migration leaves no number in the table; the backfill gives each row its reference and sealed number, leaves tenants without keys for later, and empties the holding table', async () => {
    const masterKeys = LocalKeyProvider.ephemeral(['mk-backfill']);
    const cipher = new FieldCipher(new TenantKeyring(new MemoryDataKeyStore(), masterKeys));
    const store = new MemoryCustomerIndexKeyStore();
    const [withKeys, withoutKeys] = [asTenantId(randomUUID()), asTenantId(randomUUID())];
    await new CustomerIndexKeys(store, masterKeys).ensure(withKeys);
    // As ingest and consent hold keys: only those distributed, none made here.
    const identity = new CustomerIdentity(new CustomerIndexKeys(store, masterKeys, { createKeys: false }), cipher);
    const rows = [
      { id: randomUUID(), tenant: withKeys, waId: '15550001111' },
      { id: randomUUID(), tenant: withKeys, waId: '15550002222' },
      { id: randomUUID(), tenant: withoutKeys, waId: '15550003333' },
    ];
    for (const r of rows) {
      await owner.query(`INSERT INTO ${schema}.conversations (id, tenant_id, customer_wa_id) VALUES ($1, $2, $3)`, [
        r.id,
        r.tenant,
        r.waId,
      ]);
    }
    // As tenant-store's migration does.
    await inSchema(async (db) => {
      await db.query(
        `ALTER TABLE conversations ADD COLUMN customer_ref text, ADD COLUMN customer_wa_id_ciphertext text`,
      );
      for (const sql of moveClearNumbersSql([
        { table: 'conversations', idColumn: 'id', clearColumn: 'customer_wa_id' },
      ])) {
        await db.query(sql);
      }
      // What every service's migration run adds afterwards (rlsPoliciesSql): the owner's access.
      await db.query(
        `CREATE POLICY platform_access ON customer_number_backfill TO CURRENT_USER USING (true) WITH CHECK (true)`,
      );
    });
    const held = async (): Promise<string[]> =>
      (await owner.query(`SELECT row_id FROM ${schema}.customer_number_backfill ORDER BY row_id`)).rows.map(
        (r: { row_id: string }) => r.row_id,
      );
    const numbersInTable = async (): Promise<number> =>
      (await owner.query(`SELECT count(*)::int AS n FROM ${schema}.conversations x WHERE x::text LIKE '%1555000%'`))
        .rows[0].n;
    expect(await held()).toEqual(rows.map((r) => r.id).sort());
    expect(await numbersInTable()).toBe(0);

    const spec = {
      table: 'conversations',
      idColumn: 'id',
      refColumn: 'customer_ref',
      sealedColumn: 'customer_wa_id_ciphertext',
    };
    await expect(backfillCustomerRefs(runner, identity, spec, 1)).resolves.toEqual({ moved: 2, skipped: 1 });
    const after = (await owner.query(`SELECT id, customer_ref, customer_wa_id_ciphertext FROM ${schema}.conversations`))
      .rows as Array<{ id: string; customer_ref: string | null; customer_wa_id_ciphertext: string | null }>;
    for (const r of rows.slice(0, 2)) {
      const row = after.find((a) => a.id === r.id)!;
      expect(row.customer_ref).toBe(await identity.ref(withKeys, r.waId));
      await expect(identity.open(withKeys, row.customer_ref!, row.customer_wa_id_ciphertext!)).resolves.toBe(r.waId);
    }
    expect(after.find((a) => a.id === rows[2].id)).toMatchObject({ customer_ref: null });
    expect(await held()).toEqual([rows[2].id]);

    // Its keys arrive: the next start moves it.
    await new CustomerIndexKeys(store, masterKeys).ensure(withoutKeys);
    await expect(backfillCustomerRefs(runner, identity, spec)).resolves.toEqual({ moved: 1, skipped: 0 });
    await expect(backfillCustomerRefs(runner, identity, spec)).resolves.toEqual({ moved: 0, skipped: 0 });
    expect(await held()).toEqual([]);
    expect(await numbersInTable()).toBe(0);

    // A schema without a holding table: nothing to do, and no error.
    await owner.query(`DROP TABLE ${schema}.customer_number_backfill`);
    await expect(backfillCustomerRefs(runner, identity, spec)).resolves.toEqual({ moved: 0, skipped: 0 });
  });
});
