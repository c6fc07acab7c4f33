import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The one-statement proof reads (TreeReads1764057600002) bind their tenant the way every tenant
 * transaction now does (`custody_enter_tenant` of the service's schema, on the caller's search_path;
 * see libs/database rls.ts) instead of
 * setting `custody.tenant_id`, which row-level security no longer reads. Binding is idempotent for
 * the transaction's own tenant and refused for another, so a call inside a tenant transaction of
 * one tenant cannot read another's tree.
 */
export class TreeReadsBinding1765200000001 implements MigrationInterface {
  name = 'TreeReadsBinding1765200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION tenant_tree_nodes(p_tenant uuid, p_levels smallint[], p_idx bigint[])
      RETURNS TABLE (level smallint, idx bigint, hash bytea) LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM custody_enter_tenant(p_tenant::text);
        -- LATERAL: one primary-key lookup per node, whatever the planner's statistics say.
        RETURN QUERY SELECT c.level, c.idx, x.hash FROM unnest(p_levels, p_idx) AS c(level, idx)
          CROSS JOIN LATERAL (SELECT n.hash FROM log_nodes n WHERE n.tenant_id = p_tenant AND n.level = c.level AND n.idx = c.idx) x;
      END $$`);
    await q.query(`CREATE OR REPLACE FUNCTION tenant_log_head(p_tenant uuid)
      RETURNS TABLE (size bigint, frontier bytea, updated_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM custody_enter_tenant(p_tenant::text);
        RETURN QUERY SELECT h.size, h.frontier, h.updated_at FROM log_heads h WHERE h.tenant_id = p_tenant;
      END $$`);
  }

  async down(): Promise<void> {
    // The earlier bodies set a setting the policies no longer read; there is nothing to go back to.
  }
}
