/**
 * SQL for a tenant table under forced row-level security, for migrations. Rows are visible when
 * the transaction's `custody.tenant_id` matches, or in an explicit platform transaction.
 */
export function tenantRlsSql(table: string, tenantColumn = 'tenant_id'): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (
       ${tenantColumn}::text = current_setting('custody.tenant_id', true)
       OR current_setting('custody.platform', true) = 'on'
     ) WITH CHECK (
       ${tenantColumn}::text = current_setting('custody.tenant_id', true)
       OR current_setting('custody.platform', true) = 'on'
     )`,
  ];
}
