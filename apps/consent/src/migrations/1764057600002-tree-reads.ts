import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-statement reads for the proof path. A tenant transaction (BEGIN, set the tenant, query,
 * COMMIT) costs four round trips; these functions set the tenant and query within a single
 * statement, so an inclusion proof is one round trip. They run as the caller (row-level security
 * applies) and set the tenant only for the statement's own transaction.
 */
export class TreeReads1764057600002 implements MigrationInterface {
  name = 'TreeReads1764057600002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION tenant_tree_nodes(p_tenant uuid, p_levels smallint[], p_idx bigint[])
      RETURNS TABLE (level smallint, idx bigint, hash bytea) LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('custody.tenant_id', p_tenant::text, true);
        -- LATERAL: one primary-key lookup per node, whatever the planner's statistics say.
        RETURN QUERY SELECT c.level, c.idx, x.hash FROM unnest(p_levels, p_idx) AS c(level, idx)
          CROSS JOIN LATERAL (SELECT n.hash FROM log_nodes n WHERE n.tenant_id = p_tenant AND n.level = c.level AND n.idx = c.idx) x;
      END $$`);
    await q.query(`CREATE FUNCTION tenant_log_head(p_tenant uuid)
      RETURNS TABLE (size bigint, frontier bytea, updated_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('custody.tenant_id', p_tenant::text, true);
        RETURN QUERY SELECT h.size, h.frontier, h.updated_at FROM log_heads h WHERE h.tenant_id = p_tenant;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION tenant_log_head(uuid)');
    await q.query('DROP FUNCTION tenant_tree_nodes(uuid, smallint[], bigint[])');
  }
}
