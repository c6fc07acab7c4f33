// Least privilege in PostgreSQL, over the real database the suites migrate (npm test applies every
// service's migrations first): the application role cannot widen row-level security by any
// setting it can change, nor alter the policies or become another role; the platform role sees
// across tenants; policies written before the platform role existed are upgraded cleanly.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { platformRlsSql, tenantRlsSql } from '@custody/database';

const ownerUrl = process.env.MIGRATION_DATABASE_URL!;
const appUrl = process.env.DATABASE_URL!;
const platformUrl = process.env.DATABASE_PLATFORM_URL!;
const appRole = decodeURIComponent(new URL(appUrl).username);
const platformRole = decodeURIComponent(new URL(platformUrl).username);
const ownerRole = decodeURIComponent(new URL(ownerUrl).username);
const SCHEMAS = ['ingest', 'tenant_store', 'consent', 'marketing_export'];

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Every error code PostgreSQL answers `sql` with as this client, or null when it succeeds. */
async function refusal(client: Client, sql: string): Promise<string | null> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('PostgreSQL roles: no setting widens the application role', () => {
  let owner: Client;
  let app: Client;
  let platform: Client;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const number = `9${Date.now()}`.slice(0, 15);

  beforeAll(async () => {
    owner = await connect(ownerUrl);
    app = await connect(appUrl);
    platform = await connect(platformUrl);
    // One row of tenant B, written through the platform role's login.
    await platform.query(
      `INSERT INTO ingest.tenant_numbers (phone_number_id, tenant_id, business_account_id, display_phone_number, status, messages_per_second)
       VALUES ($1, $2, 'waba-b', '+15550000000', 'active', 1)`,
      [number, tenantB],
    );
  });

  afterAll(async () => {
    await platform?.query(`DELETE FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [number]);
    await Promise.all([owner?.end(), app?.end(), platform?.end()]);
  });

  it('uses three distinct logins, none of them superuser or BYPASSRLS', async () => {
    expect(new Set([appRole, platformRole, ownerRole]).size).toBe(3);
    const { rows } = await owner.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ANY($1)`,
      [[appRole, platformRole, ownerRole]],
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.rolsuper || r.rolbypassrls).toBe(false);
    }
  });

  it("no policy of any service depends on a setting but the transaction's tenant", async () => {
    const { rows } = await owner.query<{
      schemaname: string;
      tablename: string;
      policyname: string;
      roles: string[];
      expr: string;
    }>(
      `SELECT schemaname, tablename, policyname, roles::text[] AS roles,
              coalesce(qual, '') || ' ' || coalesce(with_check, '') AS expr
         FROM pg_policies WHERE schemaname = ANY($1)`,
      [SCHEMAS],
    );
    expect(rows.length).toBeGreaterThan(0);
    const tenantPolicies = rows.filter((r) => r.policyname === 'tenant_isolation');
    // Every table with a tenant policy has its platform policy, for the platform role and the owner only.
    const platformPolicies = rows.filter((r) => r.policyname === 'platform_access');
    expect(platformPolicies.map((r) => `${r.schemaname}.${r.tablename}`).sort()).toEqual(
      tenantPolicies.map((r) => `${r.schemaname}.${r.tablename}`).sort(),
    );
    for (const r of platformPolicies) {
      expect([...r.roles].sort()).toEqual([ownerRole, platformRole].sort());
    }
    for (const r of rows) {
      expect(r.expr).not.toContain('custody.platform');
      const settings = [...r.expr.matchAll(/current_setting\('([^']+)'/g)].map((m) => m[1]);
      expect(settings.every((s) => s === 'custody.tenant_id')).toBe(true);
    }
    // Every tenant table forces RLS, so not even its owner skips the policies.
    const { rows: tables } = await owner.query<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relname = ANY($2)`,
      [SCHEMAS, tenantPolicies.map((r) => r.tablename)],
    );
    for (const t of tables) {
      expect(t.relrowsecurity && t.relforcerowsecurity).toBe(true);
    }
  });

  it("sees none of another tenant's rows, whatever settings it sets", async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantA]);
      for (const [name, value] of [
        ['custody.platform', 'on'],
        ['custody.platform', 'true'],
        ['custody.bypass', 'on'],
      ]) {
        await app.query(`SELECT set_config($1, $2, true)`, [name, value]);
      }
      const { rows } = await app.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
        number,
      ]);
      expect(rows).toEqual([]);
      await expect(
        app.query(`UPDATE ingest.tenant_numbers SET status = 'x' WHERE phone_number_id = $1 RETURNING 1`, [number]),
      ).resolves.toMatchObject({ rowCount: 0 });
      await expect(
        app.query(
          `INSERT INTO ingest.tenant_numbers (phone_number_id, tenant_id, business_account_id, display_phone_number, status, messages_per_second)
           VALUES ($1, $2, 'w', '+1', 'active', 1)`,
          [`8${Date.now()}`.slice(0, 15), tenantB],
        ),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await app.query('ROLLBACK');
    }
    // The same row as tenant B itself, and through the platform role.
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantB]);
      const { rows } = await app.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
        number,
      ]);
      expect(rows).toEqual([{ tenant_id: tenantB }]);
    } finally {
      await app.query('ROLLBACK');
    }
    const { rows } = await platform.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
      number,
    ]);
    expect(rows).toEqual([{ tenant_id: tenantB }]);
  });

  it('cannot alter or drop policies, switch RLS off, or become another role', async () => {
    const attempts = [
      `ALTER TABLE ingest.tenant_numbers DISABLE ROW LEVEL SECURITY`,
      `ALTER TABLE ingest.tenant_numbers NO FORCE ROW LEVEL SECURITY`,
      `DROP POLICY tenant_isolation ON ingest.tenant_numbers`,
      `ALTER POLICY tenant_isolation ON ingest.tenant_numbers USING (true)`,
      `CREATE POLICY widen ON ingest.tenant_numbers USING (true)`,
      `SET ROLE ${platformRole}`,
      `SET ROLE ${ownerRole}`,
      `SET SESSION AUTHORIZATION ${platformRole}`,
      `GRANT ${platformRole} TO ${appRole}`,
      `CREATE SCHEMA custody_escape`,
      // row_security = off does not skip the policies for a role without BYPASSRLS: it fails the query.
      `SET LOCAL row_security = off; SELECT * FROM ingest.tenant_numbers`,
    ];
    for (const sql of attempts) {
      // 42501 insufficient_privilege; 42704 never applies (the objects exist).
      expect([sql, await refusal(app, sql)]).toEqual([sql, '42501']);
    }
    expect(await refusal(app, `SELECT 1`)).toBeNull();
  });

  it("upgrades a policy written with the old custody.platform escape (an existing database's)", async () => {
    const schema = `roles_it_${randomUUID().slice(0, 8)}`;
    try {
      await owner.query(`CREATE SCHEMA ${schema}`);
      await owner.query(`CREATE TABLE ${schema}.notes (id int PRIMARY KEY, tenant_id uuid NOT NULL)`);
      await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}, ${platformRole}`);
      await owner.query(`GRANT SELECT, INSERT ON ${schema}.notes TO ${appRole}, ${platformRole}`);
      // The policy as the earlier tenantRlsSql wrote it.
      await owner.query(`ALTER TABLE ${schema}.notes ENABLE ROW LEVEL SECURITY`);
      await owner.query(`ALTER TABLE ${schema}.notes FORCE ROW LEVEL SECURITY`);
      await owner.query(`CREATE POLICY tenant_isolation ON ${schema}.notes USING (
         tenant_id::text = current_setting('custody.tenant_id', true)
         OR current_setting('custody.platform', true) = 'on'
       ) WITH CHECK (
         tenant_id::text = current_setting('custody.tenant_id', true)
         OR current_setting('custody.platform', true) = 'on'
       )`);
      await platform.query('BEGIN');
      await platform.query(`SELECT set_config('custody.platform', 'on', true)`);
      await platform.query(`INSERT INTO ${schema}.notes VALUES (1, $1)`, [tenantB]);
      await platform.query('COMMIT');

      const seenByApp = async (): Promise<number> => {
        await app.query('BEGIN');
        try {
          await app.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantA]);
          await app.query(`SELECT set_config('custody.platform', 'on', true)`);
          return (await app.query(`SELECT 1 FROM ${schema}.notes`)).rowCount ?? 0;
        } finally {
          await app.query('ROLLBACK');
        }
      };
      expect(await seenByApp()).toBe(1); // the hole, before the upgrade

      await owner.query(platformRlsSql(schema, platformRole));
      await owner.query(platformRlsSql(schema, platformRole)); // idempotent
      expect(await seenByApp()).toBe(0);
      expect((await platform.query(`SELECT 1 FROM ${schema}.notes`)).rowCount).toBe(1);
      const { rows } = await owner.query<{ qual: string }>(
        `SELECT qual FROM pg_policies WHERE schemaname = $1 AND policyname = 'tenant_isolation'`,
        [schema],
      );
      expect(rows[0].qual).toContain('custody.tenant_id');
      expect(rows[0].qual).not.toContain('custody.platform');

      // A table created with today's tenantRlsSql gets the same policies.
      await owner.query(`CREATE TABLE ${schema}.more (tenant_id uuid NOT NULL)`);
      for (const sql of tenantRlsSql(`${schema}.more`)) {
        await owner.query(sql);
      }
      await owner.query(platformRlsSql(schema, platformRole));
      const { rows: policies } = await owner.query<{ tablename: string; policyname: string }>(
        `SELECT tablename, policyname FROM pg_policies WHERE schemaname = $1 ORDER BY 1, 2`,
        [schema],
      );
      expect(policies).toEqual([
        { tablename: 'more', policyname: 'platform_access' },
        { tablename: 'more', policyname: 'tenant_isolation' },
        { tablename: 'notes', policyname: 'platform_access' },
        { tablename: 'notes', policyname: 'tenant_isolation' },
      ]);
    } finally {
      await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
