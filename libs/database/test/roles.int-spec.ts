// Least privilege in PostgreSQL, over the real database the suites migrate (npm test applies every
// service's migrations first): each service logs in as roles of its own with rights on its own
// schema only; its application role sees the rows of the tenant its transaction is bound to and
// cannot widen that by any setting it can change, nor rebind, alter the policies or become another
// role; the platform role sees across tenants; policies of earlier versions are upgraded cleanly.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  accessMarkersSql,
  FUNCTION_EXECUTE,
  rlsPoliciesSql,
  rolePreconditionsSql,
  TABLE_ACCESS,
  tenantBindingSql,
  tenantRlsSql,
} from '@custody/database';

const ownerUrl = process.env.MIGRATION_DATABASE_URL!;
const ownerRole = decodeURIComponent(new URL(ownerUrl).username);
const SERVICES = [
  { schema: 'tenant_store', env: 'TENANT_STORE' },
  { schema: 'ingest', env: 'INGEST' },
  { schema: 'consent', env: 'CONSENT' },
  { schema: 'marketing_export', env: 'MARKETING_EXPORT' },
].map((s) => {
  const app = process.env[`${s.env}_DATABASE_URL`] || process.env.DATABASE_URL!;
  const platform = process.env[`${s.env}_DATABASE_PLATFORM_URL`] || process.env.DATABASE_PLATFORM_URL!;
  return {
    ...s,
    appUrl: app,
    platformUrl: platform,
    appRole: decodeURIComponent(new URL(app).username),
    platformRole: decodeURIComponent(new URL(platform).username),
  };
});
const SCHEMAS = SERVICES.map((s) => s.schema);
const ingest = SERVICES.find((s) => s.schema === 'ingest')!;
/** The local stack gives every service its own logins; a database given from outside may share one pair. */
const perServiceLogins = new Set(SERVICES.map((s) => s.appRole)).size === SERVICES.length;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The error code PostgreSQL answers `sql` with as this client (in a transaction rolled back), or null. */
async function refusal(client: Client, sql: string, params: unknown[] = []): Promise<string | null> {
  await client.query('BEGIN');
  try {
    await client.query(sql, params);
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client.query('ROLLBACK');
  }
}

const TENANT_NUMBER_ROW = `INSERT INTO ingest.tenant_numbers (phone_number_id, tenant_id, business_account_id, display_phone_number, status, messages_per_second)
  VALUES ($1, $2, 'waba', '+15550000000', 'active', 1)`;

describe('PostgreSQL roles: least privilege per service, a tenant binding no setting widens', () => {
  let owner: Client;
  let app: Client;
  let platform: Client;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const numberB = `9${Date.now()}`.slice(0, 15);

  beforeAll(async () => {
    owner = await connect(ownerUrl);
    app = await connect(ingest.appUrl);
    platform = await connect(ingest.platformUrl);
    // One row of tenant B, written through the platform role's login.
    await platform.query(TENANT_NUMBER_ROW, [numberB, tenantB]);
  });

  afterAll(async () => {
    await platform?.query(`DELETE FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [numberB]);
    await Promise.all([owner?.end(), app?.end(), platform?.end()]);
  });

  it('uses distinct logins, none of them superuser, BYPASSRLS or allowed temporary tables', async () => {
    const roles = [ownerRole, ...SERVICES.flatMap((s) => [s.appRole, s.platformRole])];
    const distinct = [...new Set(roles)];
    expect(distinct.length).toBe(perServiceLogins ? 9 : 3);
    const { rows } = await owner.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; temp: boolean }>(
      `SELECT rolname, rolsuper, rolbypassrls, has_database_privilege(rolname, current_database(), 'TEMPORARY') AS temp
         FROM pg_roles WHERE rolname = ANY($1)`,
      [distinct],
    );
    expect(rows).toHaveLength(distinct.length);
    for (const r of rows) {
      expect([r.rolname, r.rolsuper || r.rolbypassrls]).toEqual([r.rolname, false]);
      if (r.rolname !== ownerRole && perServiceLogins) {
        expect([r.rolname, r.temp]).toEqual([r.rolname, false]);
      }
    }
  });

  it("gives each service's logins rights on its own schema and on no other", async () => {
    if (!perServiceLogins) {
      // A shared pair of logins (a database given from outside): nothing to tell apart.
      expect(new Set(SERVICES.map((s) => s.appRole)).size).toBe(1);
      return;
    }
    const { rows: tables } = await owner.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, min(table_name) AS name FROM information_schema.tables
        WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' GROUP BY table_schema`,
      [SCHEMAS],
    );
    expect(tables).toHaveLength(SCHEMAS.length);
    for (const service of SERVICES) {
      for (const url of [service.appUrl, service.platformUrl]) {
        const client = await connect(url);
        try {
          for (const t of tables) {
            const code = await refusal(client, `SELECT 1 FROM ${t.schema}.${t.name} LIMIT 1`);
            const expected = t.schema === service.schema ? null : '42501';
            expect([service.schema, t.schema, code]).toEqual([service.schema, t.schema, expected]);
          }
        } finally {
          await client.end();
        }
      }
    }
    // Rights in a schema belong to its owner and its service's two roles only.
    const { rows: grantees } = await owner.query<{ schema: string; grantee: string }>(
      `SELECT DISTINCT n.nspname AS schema, a.grantee::regrole::text AS grantee
         FROM pg_namespace n
         LEFT JOIN pg_class c ON c.relnamespace = n.oid
         CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, n.nspacl)) a
        WHERE n.nspname = ANY($1) AND a.grantee <> 0 AND a.grantee <> n.nspowner`,
      [SCHEMAS],
    );
    for (const g of grantees) {
      const service = SERVICES.find((s) => s.schema === g.schema)!;
      expect([g.schema, [service.appRole, service.platformRole].includes(g.grantee)]).toEqual([g.schema, true]);
    }
  });

  it("has every tenant policy compare with the transaction's binding, for the service's app role only", async () => {
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
    const tenantPolicies = rows.filter((r) => r.policyname === 'tenant_isolation');
    expect(tenantPolicies.length).toBeGreaterThan(20);
    const platformPolicies = rows.filter((r) => r.policyname === 'platform_access');
    expect(platformPolicies.map((r) => `${r.schemaname}.${r.tablename}`).sort()).toEqual(
      tenantPolicies.map((r) => `${r.schemaname}.${r.tablename}`).sort(),
    );
    for (const r of rows) {
      const service = SERVICES.find((s) => s.schema === r.schemaname)!;
      const where = `${r.schemaname}.${r.tablename} ${r.policyname}`;
      // No policy reads a setting: settings are the caller's to change.
      expect([where, r.expr]).toEqual([where, expect.not.stringContaining('current_setting')]);
      if (r.policyname === 'tenant_isolation') {
        expect([where, r.roles]).toEqual([where, [service.appRole]]);
        expect([where, r.expr]).toEqual([where, expect.stringContaining(`${r.schemaname}.custody_tenant()`)]);
      } else {
        expect([where, [...r.roles].sort()]).toEqual([where, [ownerRole, service.platformRole].sort()]);
      }
    }
    // Every tenant table forces RLS, so not even its owner skips the policies.
    const { rows: tables } = await owner.query<{ relname: string; forced: boolean }>(
      `SELECT n.nspname || '.' || c.relname AS relname, c.relrowsecurity AND c.relforcerowsecurity AS forced
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname || '.' || c.relname = ANY($1)`,
      [tenantPolicies.map((r) => `${r.schemaname}.${r.tablename}`)],
    );
    expect(tables).toHaveLength(tenantPolicies.length);
    expect(tables.filter((t) => !t.forced)).toEqual([]);
  });

  it("sees no tenant's rows before its transaction is bound, whatever it sets", async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantB]);
      await app.query(`SET LOCAL custody.tenant_id = '${tenantB}'`);
      await app.query(`SELECT set_config('custody.platform', 'on', true)`);
      expect((await app.query(`SELECT 1 FROM ingest.tenant_numbers WHERE tenant_id = $1`, [tenantB])).rowCount).toBe(0);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it("sees none of another tenant's rows once bound, whatever settings it sets, and cannot rebind", async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantA]);
      await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantA]); // the same tenant again: fine
      for (const [name, value] of [
        ['custody.tenant_id', tenantB],
        ['custody.platform', 'on'],
        ['custody.bypass', 'on'],
        ['row_security', 'on'],
      ]) {
        await app.query(`SELECT set_config($1, $2, true)`, [name, value]);
      }
      const { rows } = await app.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
        numberB,
      ]);
      expect(rows).toEqual([]);
      await expect(
        app.query(`UPDATE ingest.tenant_numbers SET status = 'x' WHERE phone_number_id = $1 RETURNING 1`, [numberB]),
      ).resolves.toMatchObject({ rowCount: 0 });
      await app.query('SAVEPOINT s');
      await expect(app.query(TENANT_NUMBER_ROW, [`8${Date.now()}`.slice(0, 15), tenantB])).rejects.toThrow(
        /row-level security/,
      );
      await app.query('ROLLBACK TO SAVEPOINT s');
      // Rebinding to another tenant is refused, and the refusal aborts the transaction.
      await expect(app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantB])).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await app.query('ROLLBACK');
    }
    // The binding's sequences are the owner's: the app role can neither read, set nor drop them.
    await app.query('BEGIN');
    try {
      await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantA]);
      for (const sql of [
        `SELECT last_value FROM pg_temp.custody_binding_hi`,
        `SELECT setval('pg_temp.custody_binding_hi', 1)`,
        `SELECT nextval('pg_temp.custody_binding_started')`,
        `ALTER SEQUENCE pg_temp.custody_binding_lo RESTART`,
        `DROP SEQUENCE pg_temp.custody_binding_lo`,
      ]) {
        await app.query('SAVEPOINT s');
        await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });
        await app.query('ROLLBACK TO SAVEPOINT s');
      }
    } finally {
      await app.query('ROLLBACK');
    }
    if (perServiceLogins) {
      expect(await refusal(app, `CREATE TEMPORARY SEQUENCE custody_binding_hi`)).toBe('42501');
    }
    // Binding writes nothing: a read-only tenant transaction stays without a transaction id (once
    // the session's first committed binding created its sequences; the transactions above rolled back).
    await app.query(`BEGIN; SELECT ingest.custody_enter_tenant('${tenantA}'); COMMIT`);
    await app.query('BEGIN');
    try {
      await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantA]);
      await app.query(`SELECT 1 FROM ingest.tenant_numbers LIMIT 1`);
      const { rows: xid } = await app.query(`SELECT pg_current_xact_id_if_assigned() AS xid`);
      expect(xid).toEqual([{ xid: null }]);
    } finally {
      await app.query('ROLLBACK');
    }
    // The binding ends with its transaction: the next one sees nothing until it binds.
    await app.query('BEGIN');
    await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantB]);
    await app.query('COMMIT');
    expect(
      (await app.query(`SELECT 1 FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [numberB])).rowCount,
    ).toBe(0);
    // Bound to tenant B it sees B's row; so does the platform role, unbound.
    await app.query('BEGIN');
    try {
      await app.query(`SELECT ingest.custody_enter_tenant($1)`, [tenantB]);
      const { rows } = await app.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
        numberB,
      ]);
      expect(rows).toEqual([{ tenant_id: tenantB }]);
    } finally {
      await app.query('ROLLBACK');
    }
    const { rows } = await platform.query(`SELECT tenant_id FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
      numberB,
    ]);
    expect(rows).toEqual([{ tenant_id: tenantB }]);
  });

  it('cannot alter or drop policies, switch RLS off, replace the binding, or become another role', async () => {
    const attempts = [
      `ALTER TABLE ingest.tenant_numbers DISABLE ROW LEVEL SECURITY`,
      `ALTER TABLE ingest.tenant_numbers NO FORCE ROW LEVEL SECURITY`,
      `DROP POLICY tenant_isolation ON ingest.tenant_numbers`,
      `ALTER POLICY tenant_isolation ON ingest.tenant_numbers USING (true)`,
      `CREATE POLICY widen ON ingest.tenant_numbers USING (true)`,
      `CREATE OR REPLACE FUNCTION ingest.custody_tenant() RETURNS text LANGUAGE sql AS $$ SELECT '${tenantB}' $$`,
      `CREATE FUNCTION public.custody_tenant() RETURNS text LANGUAGE sql AS $$ SELECT '${tenantB}' $$`,
      `SET ROLE ${ingest.platformRole}`,
      `SET ROLE ${ownerRole}`,
      `SET SESSION AUTHORIZATION ${ingest.platformRole}`,
      `GRANT ${ingest.platformRole} TO ${ingest.appRole}`,
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

  it('leaves no function of any service executable by PUBLIC, and each to the roles its note names', async () => {
    const { rows } = await owner.query<{ schema: string; sig: string; note: string | null; acl: string | null }>(
      `SELECT n.nspname AS schema, p.oid::regprocedure::text AS sig, obj_description(p.oid, 'pg_proc') AS note,
              p.proacl::text AS acl
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY($1) AND p.prokind = 'f'`,
      [SCHEMAS],
    );
    expect(rows.length).toBeGreaterThan(8);
    for (const f of rows) {
      // NULL is the default ACL, which lets PUBLIC execute; "=X/" is an explicit grant to PUBLIC.
      expect({ sig: f.sig, acl: f.acl === null || /(^|[{,])=X/.test(f.acl) ? 'PUBLIC' : 'restricted' }).toEqual({
        sig: f.sig,
        acl: 'restricted',
      });
      const service = SERVICES.find((s) => s.schema === f.schema)!;
      for (const [role, marker] of [
        [service.appRole, FUNCTION_EXECUTE.app],
        [service.platformRole, FUNCTION_EXECUTE.platform],
      ] as const) {
        const { rows: can } = await owner.query<{ ok: boolean }>(
          `SELECT has_function_privilege($1, $2, 'EXECUTE') AS ok`,
          [role, f.sig],
        );
        expect({ sig: f.sig, role, ok: can[0].ok }).toEqual({ sig: f.sig, role, ok: (f.note ?? '').includes(marker) });
      }
    }
  });

  it('restricts tables by their access note, and refuses to migrate for roles that could create objects', async () => {
    const schema = `roles_it_${randomUUID().slice(0, 8)}`;
    const { appRole, platformRole } = ingest;
    try {
      await owner.query(`CREATE SCHEMA ${schema}`);
      await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}, ${platformRole}`);
      for (const t of ['open', 'readonly', 'platformonly']) {
        await owner.query(`CREATE TABLE ${schema}.${t} (id int)`);
        await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.${t} TO ${appRole}, ${platformRole}`);
      }
      await owner.query(`COMMENT ON TABLE ${schema}.readonly IS '${TABLE_ACCESS.read}'`);
      await owner.query(`COMMENT ON TABLE ${schema}.platformonly IS '${TABLE_ACCESS.platform}'`);
      await owner.query(`CREATE FUNCTION ${schema}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
      await owner.query(`COMMENT ON FUNCTION ${schema}.f() IS '${FUNCTION_EXECUTE.platform}'`);
      await owner.query(`CREATE FUNCTION ${schema}.g() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
      await owner.query(accessMarkersSql(schema, { appRole, platformRole }));
      const can = async (role: string, what: string, privilege: string): Promise<boolean> => {
        const fn = what.endsWith(')') ? 'has_function_privilege' : 'has_table_privilege';
        const { rows } = await owner.query<{ ok: boolean }>(`SELECT ${fn}($1, $2, $3) AS ok`, [role, what, privilege]);
        return rows[0].ok;
      };
      expect(await can(appRole, `${schema}.open`, 'INSERT')).toBe(true);
      expect(await can(appRole, `${schema}.readonly`, 'SELECT')).toBe(true);
      expect(await can(appRole, `${schema}.readonly`, 'INSERT')).toBe(false);
      expect(await can(platformRole, `${schema}.readonly`, 'UPDATE')).toBe(false);
      expect(await can(appRole, `${schema}.platformonly`, 'SELECT')).toBe(false);
      expect(await can(platformRole, `${schema}.platformonly`, 'DELETE')).toBe(true);
      expect(await can(platformRole, `${schema}.f()`, 'EXECUTE')).toBe(true);
      expect(await can(appRole, `${schema}.f()`, 'EXECUTE')).toBe(false);
      expect(await can(appRole, `${schema}.g()`, 'EXECUTE')).toBe(false);
      expect(await can(platformRole, `${schema}.g()`, 'EXECUTE')).toBe(false);

      await owner.query(rolePreconditionsSql([appRole, platformRole]));
      await owner.query(`GRANT CREATE ON SCHEMA ${schema} TO ${appRole}`);
      await expect(owner.query(rolePreconditionsSql([appRole, platformRole]))).rejects.toThrow(
        new RegExp(`role ${appRole} may CREATE in schema ${schema}`),
      );
    } finally {
      await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });

  it('upgrades policies of earlier versions (the custody.platform escape, the custody.tenant_id setting)', async () => {
    const schema = `roles_it_${randomUUID().slice(0, 8)}`;
    const { appRole, platformRole } = ingest;
    try {
      await owner.query(`CREATE SCHEMA ${schema}`);
      await owner.query(`CREATE TABLE ${schema}.notes (id int PRIMARY KEY, tenant_id uuid NOT NULL)`);
      await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}, ${platformRole}`);
      await owner.query(`GRANT SELECT, INSERT ON ${schema}.notes TO ${appRole}, ${platformRole}`);
      await owner.query(`INSERT INTO ${schema}.notes VALUES (1, $1)`, [tenantB]);
      // The policy as the first tenantRlsSql wrote it.
      await owner.query(`ALTER TABLE ${schema}.notes ENABLE ROW LEVEL SECURITY`);
      await owner.query(`ALTER TABLE ${schema}.notes FORCE ROW LEVEL SECURITY`);
      await owner.query(`CREATE POLICY tenant_isolation ON ${schema}.notes USING (
         tenant_id::text = current_setting('custody.tenant_id', true)
         OR current_setting('custody.platform', true) = 'on'
       ) WITH CHECK (
         tenant_id::text = current_setting('custody.tenant_id', true)
         OR current_setting('custody.platform', true) = 'on'
       )`);

      const seenByApp = async (): Promise<number> => {
        await app.query('BEGIN');
        try {
          await app.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantB]);
          await app.query(`SELECT set_config('custody.platform', 'on', true)`);
          return (await app.query(`SELECT 1 FROM ${schema}.notes`)).rowCount ?? 0;
        } finally {
          await app.query('ROLLBACK');
        }
      };
      expect(await seenByApp()).toBe(1); // the hole, before the upgrade

      for (const sql of tenantBindingSql(schema, appRole)) {
        await owner.query(sql);
      }
      await owner.query(rlsPoliciesSql(schema, { appRole, platformRole }));
      await owner.query(rlsPoliciesSql(schema, { appRole, platformRole })); // idempotent
      expect(await seenByApp()).toBe(0);
      expect((await platform.query(`SELECT 1 FROM ${schema}.notes`)).rowCount).toBe(1);
      const { rows } = await owner.query<{ qual: string; roles: string[] }>(
        `SELECT qual, roles::text[] AS roles FROM pg_policies WHERE schemaname = $1 AND policyname = 'tenant_isolation'`,
        [schema],
      );
      expect(rows[0].qual).toContain(`${schema}.custody_tenant()`);
      expect(rows[0].qual).not.toContain('current_setting');
      expect(rows[0].roles).toEqual([appRole]);

      // A table created with today's tenantRlsSql gets the same policies.
      await owner.query(`CREATE TABLE ${schema}.more (tenant_id uuid NOT NULL)`);
      for (const sql of tenantRlsSql(`${schema}.more`)) {
        await owner.query(sql);
      }
      await owner.query(rlsPoliciesSql(schema, { appRole, platformRole }));
      const { rows: policies } = await owner.query<{ tablename: string; policyname: string; qual: string }>(
        `SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = $1 ORDER BY 1, 2`,
        [schema],
      );
      expect(policies.map((p) => [p.tablename, p.policyname])).toEqual([
        ['more', 'platform_access'],
        ['more', 'tenant_isolation'],
        ['notes', 'platform_access'],
        ['notes', 'tenant_isolation'],
      ]);
      expect(policies.every((p) => !p.qual.includes('current_setting'))).toBe(true);
    } finally {
      await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
