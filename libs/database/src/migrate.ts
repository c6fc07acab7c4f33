import { Client } from 'pg';
import { DataSource, MixedList } from 'typeorm';
import { createDataSource, describeUrl } from './data-source';
import { rlsPoliciesSql, tenantBindingSql } from './rls';

export interface MigrationSettings {
  /** The owner role's URL (MIGRATION_DATABASE_URL): it owns the schema and its tables. */
  url: string;
  schema: string;
  /**
   * The service's application role (DATABASE_APP_ROLE): DML rights on this schema and nothing
   * else; owns nothing, so forced row-level security applies to it.
   */
  appRole: string;
  /**
   * The service's platform role (DATABASE_PLATFORM_ROLE): the login of its cross-tenant pool
   * (DATABASE_PLATFORM_URL). The same DML rights on this schema, and a policy that admits every row.
   */
  platformRole: string;
  migrations: MixedList<string | (new () => unknown)>;
  /**
   * Statements run as the owner after the migrations, in one transaction, given the service's
   * roles: e.g. the shared conversation key store (`conversationKeyStoreSql` of @custody/crypto),
   * which lives outside the service's schema and grants each service only the functions it needs.
   * Must be idempotent.
   */
  afterMigrations?: (roles: { appRole: string; platformRole: string }) => string[];
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the service's schema, applies its migrations, and grants the app role what it needs. */
export async function runMigrations(settings: MigrationSettings): Promise<string[]> {
  if (!IDENT.test(settings.schema) || !IDENT.test(settings.appRole) || !IDENT.test(settings.platformRole)) {
    throw new Error('schema, app role and platform role must be plain lowercase identifiers');
  }
  if (settings.appRole === settings.platformRole) {
    throw new Error('the app role and the platform role must differ (the platform role sees every tenant)');
  }
  const client = new Client({ connectionString: settings.url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${describeUrl(settings.url)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${settings.schema}`);
    for (const role of [settings.appRole, settings.platformRole]) {
      const { rows } = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
      if (rows.length === 0) {
        throw new Error(
          `role ${role} does not exist: create the service's application and platform login roles first (docs/operations.md)`,
        );
      }
      await client.query(`GRANT USAGE ON SCHEMA ${settings.schema} TO ${role}`);
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
      );
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`,
      );
    }
    // Before the migrations, which may call them (consent's one-statement reads bind their tenant).
    for (const sql of tenantBindingSql(settings.schema, settings.appRole)) {
      await client.query(sql);
    }
  } finally {
    await client.end();
  }
  const dataSource: DataSource = createDataSource({
    url: settings.url,
    schema: settings.schema,
    entities: [],
    migrations: settings.migrations,
    poolSize: 1,
    applicationName: `custody-migrate-${settings.schema}`,
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    // Tables created before the platform role existed get what the defaults now grant; every
    // tenant policy is (re)written for the binding and the service's roles; any other role that
    // holds rights in this schema (the shared custody_app / custody_platform of earlier versions,
    // another service's roles) loses them. Idempotent.
    await dataSource.transaction(async (manager) => {
      for (const role of [settings.appRole, settings.platformRole]) {
        await manager.query(
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${settings.schema} TO ${role}`,
        );
        await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${settings.schema} TO ${role}`);
      }
      await manager.query(rlsPoliciesSql(settings.schema, settings));
      await manager.query(revokeOthersSql(settings.schema, [settings.appRole, settings.platformRole]));
      await manager.query(accessMarkersSql(settings.schema, settings));
      await manager.query(rolePreconditionsSql([settings.appRole, settings.platformRole]));
    });
    const after = settings.afterMigrations?.({ appRole: settings.appRole, platformRole: settings.platformRole }) ?? [];
    if (after.length > 0) {
      await dataSource.transaction(async (manager) => {
        for (const sql of after) {
          await manager.query(sql);
        }
      });
    }
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** The body of every app's `migrate.js` entry point. */
export function migrationCli(
  service: string,
  schema: string,
  migrations: MigrationSettings['migrations'],
  afterMigrations?: MigrationSettings['afterMigrations'],
): void {
  const url = process.env.MIGRATION_DATABASE_URL;
  if (!url) {
    console.error(`${service} migrate: MIGRATION_DATABASE_URL is required (the owner role, not the application role)`);
    process.exit(1);
  }
  runMigrations({
    url,
    schema,
    appRole: process.env.DATABASE_APP_ROLE || `custody_${schema}`,
    platformRole: process.env.DATABASE_PLATFORM_ROLE || `custody_${schema}_platform`,
    migrations,
    afterMigrations,
  }).then(
    (applied) => console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`),
    (error: unknown) => {
      console.error(`${service} migrate: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

/**
 * Revokes every right in `schema` (on the schema, its tables, sequences and functions, and the
 * defaults for new ones) from every role but its owner and `keep`.
 */
function revokeOthersSql(schema: string, keep: string[]): string {
  const kept = keep.map((r) => `'${r}'`).join(', ');
  return `DO $custody$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT DISTINCT a.grantee::regrole::text AS role
      FROM pg_namespace n
      LEFT JOIN pg_class c ON c.relnamespace = n.oid
      CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, n.nspacl)) a
     WHERE n.nspname = '${schema}' AND a.grantee <> 0 AND a.grantee <> n.nspowner
       AND a.grantee::regrole::text NOT IN (${kept})
    UNION
    SELECT DISTINCT a.grantee::regrole::text
      FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
     WHERE n.nspname = '${schema}' AND a.grantee <> 0 AND a.grantee <> n.nspowner
       AND a.grantee::regrole::text NOT IN (${kept})
    UNION
    SELECT DISTINCT a.grantee::regrole::text
      FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
      CROSS JOIN LATERAL aclexplode(d.defaclacl) a
     WHERE n.nspname = '${schema}' AND a.grantee <> 0 AND a.grantee <> n.nspowner
       AND a.grantee::regrole::text NOT IN (${kept})
  LOOP
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %s', '${schema}', r.role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %s', '${schema}', r.role);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %s', '${schema}', r.role);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', '${schema}', r.role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM %s', '${schema}', r.role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %s', '${schema}', r.role);
  END LOOP;
END
$custody$`;
}

/** What a table's comment may restrict (`custody:access=…`; see `accessMarkersSql`). */
export const TABLE_ACCESS = {
  /** Both roles read; only the owner (through its functions) writes. */
  read: 'custody:access=read',
  /** The platform role reads and writes; the application role has no right on it. */
  platform: 'custody:access=platform',
} as const;

/** Who may call a function (`custody:execute=…` in its comment; see `accessMarkersSql`). */
export const FUNCTION_EXECUTE = {
  app: 'custody:execute=app',
  platform: 'custody:execute=platform',
} as const;

/**
 * Run after every migration run (idempotent), after the blanket grants. Every table gets both
 * roles' DML unless its comment restricts it: `custody:access=read` leaves both roles SELECT only
 * (rows the owner writes through SECURITY DEFINER functions), `custody:access=platform` leaves the
 * application role nothing. No function of the schema is executable by PUBLIC or either role unless
 * its comment names the role: `custody:execute=app`, `custody:execute=platform` (both may appear).
 * Trigger functions need no grant: triggers run them whoever writes.
 */
export function accessMarkersSql(schema: string, roles: { appRole: string; platformRole: string }): string {
  return `DO $custody$
DECLARE
  t record;
  f record;
BEGIN
  FOR t IN
    SELECT c.relname, coalesce(obj_description(c.oid, 'pg_class'), '') AS note
      FROM pg_class c WHERE c.relnamespace = '${schema}'::regnamespace AND c.relkind IN ('r', 'p')
  LOOP
    IF t.note LIKE '%${TABLE_ACCESS.read}%' THEN
      EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %I.%I FROM %I, %I',
                     '${schema}', t.relname, '${roles.appRole}', '${roles.platformRole}');
    ELSIF t.note LIKE '%${TABLE_ACCESS.platform}%' THEN
      EXECUTE format('REVOKE ALL ON %I.%I FROM %I', '${schema}', t.relname, '${roles.appRole}');
    END IF;
  END LOOP;
  FOR f IN
    SELECT p.oid::regprocedure AS sig, coalesce(obj_description(p.oid, 'pg_proc'), '') AS note
      FROM pg_proc p WHERE p.pronamespace = '${schema}'::regnamespace AND p.prokind = 'f'
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, %I, %I', f.sig, '${roles.appRole}', '${roles.platformRole}');
    IF f.note LIKE '%${FUNCTION_EXECUTE.app}%' THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig, '${roles.appRole}');
    END IF;
    IF f.note LIKE '%${FUNCTION_EXECUTE.platform}%' THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig, '${roles.platformRole}');
    END IF;
  END LOOP;
END
$custody$`;
}

/**
 * Refuses to finish the migrations when either role could create objects: CREATE on any schema
 * would let it shadow the operators and functions that SECURITY DEFINER code resolves through the
 * caller's search path, and TEMPORARY would let it shadow the tenant binding's temporary sequences.
 * Roles made by scripts/stack.sh and the Helm chart's documented setup have neither.
 */
export function rolePreconditionsSql(roles: string[]): string {
  const list = roles.map((r) => `'${r}'`).join(', ');
  return `DO $custody$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT u.rolname, n.nspname FROM pg_roles u CROSS JOIN pg_namespace n
     WHERE u.rolname IN (${list}) AND has_schema_privilege(u.oid, n.oid, 'CREATE')
  LOOP
    RAISE EXCEPTION 'role % may CREATE in schema %: revoke it (REVOKE CREATE ON SCHEMA % FROM PUBLIC, %), see docs/operations.md',
      r.rolname, r.nspname, r.nspname, r.rolname USING ERRCODE = 'insufficient_privilege';
  END LOOP;
  FOR r IN
    SELECT u.rolname FROM pg_roles u WHERE u.rolname IN (${list}) AND has_database_privilege(u.oid, current_database(), 'TEMPORARY')
  LOOP
    RAISE EXCEPTION 'role % may create temporary tables in this database: REVOKE TEMPORARY ON DATABASE % FROM PUBLIC, %',
      r.rolname, current_database(), r.rolname USING ERRCODE = 'insufficient_privilege';
  END LOOP;
END
$custody$`;
}

/**
 * The owner-written record that a tenant was offboarded (ingest, consent, marketing-export): the
 * table's access note (both roles read it) and `record_offboarded_tenant(tenant, offboarding)`,
 * which writes it by the tenant's hash and only the platform role may call.
 */
export function offboardedTenantRecordSql(schema: string): string[] {
  return [
    `COMMENT ON TABLE offboarded_tenants IS '${TABLE_ACCESS.read}: written by record_offboarded_tenant only'`,
    `CREATE FUNCTION record_offboarded_tenant(p_tenant uuid, p_offboarding uuid) RETURNS void
      LANGUAGE sql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
        INSERT INTO offboarded_tenants (tenant_hash, offboarding_id)
        VALUES (encode(sha256(convert_to('custody.offboarded-tenant.v1:' || lower(p_tenant::text), 'UTF8')), 'hex'), p_offboarding)
        ON CONFLICT (tenant_hash) DO NOTHING
      $$`,
    `COMMENT ON FUNCTION record_offboarded_tenant(uuid, uuid) IS '${FUNCTION_EXECUTE.platform}: records an offboarding request'`,
  ];
}
