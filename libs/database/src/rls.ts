/**
 * Row-level security for tenant tables: SQL for migrations and for the step every service's
 * migrations end with.
 *
 * A transaction of a service's application role sees the rows of the one tenant it is bound to,
 * and nothing before it is bound. The binding is not a setting: `<schema>.custody_enter_tenant`
 * (SECURITY DEFINER, run by `TenantDb.forTenant` in the transaction's first round trip) records
 * the tenant (as two 64-bit halves) and the transaction's start time in three temporary sequences
 * of the session that the schema's owner creates and owns, and that the application role can
 * neither read nor set; `<schema>.custody_tenant()` returns the tenant only while that transaction
 * lasts (a transaction started by a later query message has another start time and sees no
 * binding until it binds; transactions started within one simple-query message share the start
 * time, so `TenantDb` never sends two transactions in one message — docs/security.md). A second
 * call in the same transaction for another tenant is refused, so a statement smuggled into a
 * tenant's transaction cannot rebind it, and no `SET` or `set_config` the role may run changes what
 * the policies admit. Cross-tenant (platform) work logs in as a role of its own, which
 * `platform_access` admits to every row.
 *
 * Why sequences: `setval` on a temporary sequence writes no WAL, takes no transaction id and is
 * not undone by a rollback (harmless: the binding names its transaction), so binding a read-only
 * transaction keeps it read-only. A row of a temporary table would give every tenant transaction a
 * transaction id and a commit record; emptying it at commit (`ON COMMIT DELETE ROWS`) cost ~0.4 ms
 * per transaction (see `npm run bench:binding`).
 */

/** Names of the binding functions in a service's schema. */
export function tenantBindingFunctions(schema: string): { enter: string; current: string } {
  return { enter: `${schema}.custody_enter_tenant`, current: `${schema}.custody_tenant` };
}

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const SEQUENCE = 'AS bigint MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807';

/**
 * The tenant-binding functions of one schema, executable by its application role only. Run as the
 * schema's owner (the functions run with its rights); idempotent.
 */
export function tenantBindingSql(schema: string, appRole: string): string[] {
  const { enter, current } = tenantBindingFunctions(schema);
  return [
    `CREATE OR REPLACE FUNCTION ${enter}(p_tenant text) RETURNS void
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $custody$
     DECLARE
       ours boolean;
       hex text;
       hi bigint;
       lo bigint;
       started bigint := (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint;
       bound record;
     BEGIN
       IF p_tenant IS NULL OR p_tenant !~ '${UUID_PATTERN}' THEN
         RAISE EXCEPTION 'custody: a tenant id must be a lowercase UUID' USING ERRCODE = '22023';
       END IF;
       hex := replace(p_tenant, '-', '');
       hi := ('x' || substr(hex, 1, 16))::bit(64)::bigint;
       lo := ('x' || substr(hex, 17, 16))::bit(64)::bigint;
       -- NULL: no binding in this session yet; false: a sequence the owner did not create.
       SELECT c.relowner = current_user::regrole INTO ours
         FROM pg_class c WHERE c.oid = to_regclass('pg_temp.custody_binding_started');
       IF ours IS NULL THEN
         CREATE TEMPORARY SEQUENCE custody_binding_started ${SEQUENCE};
         CREATE TEMPORARY SEQUENCE custody_binding_hi ${SEQUENCE};
         CREATE TEMPORARY SEQUENCE custody_binding_lo ${SEQUENCE};
       ELSIF NOT ours THEN
         RAISE EXCEPTION 'custody: the tenant binding is not the schema owner''s' USING ERRCODE = '42501';
       ELSE
         SELECT s.last_value AS started, h.last_value AS hi, l.last_value AS lo INTO bound
           FROM pg_temp.custody_binding_started s, pg_temp.custody_binding_hi h, pg_temp.custody_binding_lo l;
         IF bound.started = started AND (bound.hi <> hi OR bound.lo <> lo) THEN
           RAISE EXCEPTION 'custody: this transaction is bound to another tenant' USING ERRCODE = '42501';
         END IF;
       END IF;
       PERFORM setval('pg_temp.custody_binding_hi', hi), setval('pg_temp.custody_binding_lo', lo),
               setval('pg_temp.custody_binding_started', started);
     END
     $custody$`,
    // Evaluated once per query (the policies call it as an InitPlan), so kept lean: relations are
    // schema-qualified, the application role can create nothing anywhere (so no operator or
    // function of its own can shadow pg_catalog's), hence no SET search_path and its per-call
    // cost. The owner check is enter's: only a session able to run statements of its own could
    // replace the sequences (DISCARD TEMP), and such a session can as well bind a new transaction.
    `CREATE OR REPLACE FUNCTION ${current}() RETURNS text
       LANGUAGE plpgsql STABLE SECURITY DEFINER AS $custody$
     DECLARE
       bound record;
       hi text;
       lo text;
     BEGIN
       IF pg_catalog.to_regclass('pg_temp.custody_binding_started') IS NULL THEN
         RETURN NULL;
       END IF;
       SELECT s.last_value AS started, h.last_value AS hi, l.last_value AS lo INTO bound
         FROM pg_temp.custody_binding_started s, pg_temp.custody_binding_hi h, pg_temp.custody_binding_lo l;
       IF bound.started IS DISTINCT FROM
          (extract(epoch FROM pg_catalog.transaction_timestamp()) * 1000000)::bigint THEN
         RETURN NULL;
       END IF;
       hi := pg_catalog.lpad(pg_catalog.to_hex(bound.hi), 16, '0');
       lo := pg_catalog.lpad(pg_catalog.to_hex(bound.lo), 16, '0');
       RETURN pg_catalog.concat_ws('-', pg_catalog.substr(hi, 1, 8), pg_catalog.substr(hi, 9, 4),
         pg_catalog.substr(hi, 13, 4), pg_catalog.substr(lo, 1, 4), pg_catalog.substr(lo, 5, 12));
     END
     $custody$`,
    // The migrations' access step grants by these notes (accessMarkersSql) and revokes the rest.
    `COMMENT ON FUNCTION ${enter}(text) IS 'custody:execute=app: binds the transaction to a tenant'`,
    `COMMENT ON FUNCTION ${current}() IS 'custody:execute=app: the transaction''s tenant'`,
    `REVOKE ALL ON FUNCTION ${enter}(text) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${current}() FROM PUBLIC`,
    `GRANT EXECUTE ON FUNCTION ${enter}(text) TO ${appRole}`,
    `GRANT EXECUTE ON FUNCTION ${current}() TO ${appRole}`,
  ];
}

/**
 * SQL for a tenant table under forced row-level security, for migrations. The policy this writes
 * compares with `custody.tenant_id`; the step every service's migrations end with
 * (`rlsPoliciesSql`) rewrites it to the transaction's binding and to the application role.
 */
export function tenantRlsSql(table: string, tenantColumn = 'tenant_id'): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (
       ${tenantColumn}::text = current_setting('custody.tenant_id', true)
     ) WITH CHECK (
       ${tenantColumn}::text = current_setting('custody.tenant_id', true)
     )`,
  ];
}

/**
 * Run by every service's migrations after its migrations, in its schema, as the owner role;
 * idempotent. For every table with a `tenant_isolation` policy:
 * - the policy applies to the application role only, and compares the tenant column with the
 *   transaction's binding (`<schema>.custody_tenant()`, evaluated once per query) instead of a
 *   setting; policies of earlier versions (`custody.tenant_id`, and before that an escape when
 *   `custody.platform = 'on'`) are rewritten;
 * - `platform_access` admits every row to the platform role (cross-tenant work: relays, retention,
 *   registries, operator listings) and to the owner (who could switch RLS off anyway; tests and
 *   tools read as the owner).
 */
export function rlsPoliciesSql(schema: string, roles: { appRole: string; platformRole: string }): string {
  const { current } = tenantBindingFunctions(schema);
  return `DO $custody$
DECLARE
  p record;
  q text;
  c text;
  escape constant text := ' OR \\(current_setting\\(''custody\\.platform''::text, true\\) = ''on''::text\\)';
  setting constant text := 'current_setting\\(''custody\\.tenant_id''::text, true\\)';
BEGIN
  FOR p IN
    SELECT tablename, qual, with_check FROM pg_policies
     WHERE schemaname = '${schema}' AND policyname = 'tenant_isolation'
  LOOP
    q := regexp_replace(regexp_replace(p.qual, escape, '', 'g'), setting, '(SELECT ${current}())', 'g');
    c := regexp_replace(regexp_replace(coalesce(p.with_check, p.qual), escape, '', 'g'), setting, '(SELECT ${current}())', 'g');
    IF q LIKE '%custody.platform%' OR c LIKE '%custody.platform%' OR q LIKE '%current_setting%' OR c LIKE '%current_setting%' THEN
      RAISE EXCEPTION 'policy tenant_isolation on %.% reads a setting in a form this step does not know', '${schema}', p.tablename;
    END IF;
    IF q NOT LIKE '%custody_tenant()%' OR c NOT LIKE '%custody_tenant()%' THEN
      RAISE EXCEPTION 'policy tenant_isolation on %.% does not compare with the tenant binding', '${schema}', p.tablename;
    END IF;
    EXECUTE format('ALTER POLICY tenant_isolation ON %I.%I TO %I USING (%s) WITH CHECK (%s)',
                   '${schema}', p.tablename, '${roles.appRole}', q, c);
    EXECUTE format('DROP POLICY IF EXISTS platform_access ON %I.%I', '${schema}', p.tablename);
    EXECUTE format('CREATE POLICY platform_access ON %I.%I TO %I, CURRENT_USER USING (true) WITH CHECK (true)',
                   '${schema}', p.tablename, '${roles.platformRole}');
  END LOOP;
END
$custody$`;
}
