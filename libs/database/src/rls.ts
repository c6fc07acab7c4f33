/**
 * SQL for a tenant table under forced row-level security, for migrations. Rows are visible only
 * when the transaction's `custody.tenant_id` matches. There is no setting that widens the policy:
 * cross-tenant (platform) work connects as a role of its own, which `platformRlsSql` admits.
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
 * idempotent. Policies written before the platform role existed admitted every row when
 * `custody.platform = 'on'`, a setting any role may set: that clause is removed from them. Every
 * table with a `tenant_isolation` policy then gets `platform_access`, admitting all rows to the
 * platform role (cross-tenant work: relays, retention, registries, operator listings) and to the
 * owner (who could switch RLS off anyway; tests and tools read as the owner).
 */
export function platformRlsSql(schema: string, platformRole: string): string {
  return `DO $custody$
DECLARE
  p record;
  stripped_using text;
  stripped_check text;
  escape constant text := ' OR \\(current_setting\\(''custody\\.platform''::text, true\\) = ''on''::text\\)';
BEGIN
  FOR p IN
    SELECT tablename, qual, with_check FROM pg_policies
     WHERE schemaname = '${schema}' AND policyname = 'tenant_isolation'
  LOOP
    IF coalesce(p.qual, '') LIKE '%custody.platform%' OR coalesce(p.with_check, '') LIKE '%custody.platform%' THEN
      stripped_using := regexp_replace(p.qual, escape, '', 'g');
      stripped_check := regexp_replace(coalesce(p.with_check, p.qual), escape, '', 'g');
      IF stripped_using LIKE '%custody.platform%' OR stripped_check LIKE '%custody.platform%' THEN
        RAISE EXCEPTION 'policy tenant_isolation on %.% has a custody.platform clause of an unknown form', '${schema}', p.tablename;
      END IF;
      EXECUTE format('ALTER POLICY tenant_isolation ON %I.%I USING (%s) WITH CHECK (%s)',
                     '${schema}', p.tablename, stripped_using, stripped_check);
    END IF;
    EXECUTE format('DROP POLICY IF EXISTS platform_access ON %I.%I', '${schema}', p.tablename);
    EXECUTE format('CREATE POLICY platform_access ON %I.%I TO %I, CURRENT_USER USING (true) WITH CHECK (true)',
                   '${schema}', p.tablename, '${platformRole}');
  END LOOP;
END
$custody$`;
}
