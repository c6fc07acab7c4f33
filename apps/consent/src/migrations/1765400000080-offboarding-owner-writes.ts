import { MigrationInterface, QueryRunner } from 'typeorm';
import { FUNCTION_EXECUTE, offboardedTenantRecordSql } from '@custody/database';

/**
 * Only the owner writes the record that a tenant was offboarded, through
 * `record_offboarded_tenant(tenant, offboarding)` (SECURITY DEFINER), which only the platform role
 * may call (the consumer of offboarding requests); the application roles read the record but
 * cannot add one, so no statement in a tenant's transaction can unlock the removal of another
 * tenant's append-only log. `remove_offboarded_tenant` becomes the platform role's alone too, and
 * the proof reads stay the application role's. The grants follow these notes (accessMarkersSql).
 */
export class OffboardingOwnerWrites1765400000080 implements MigrationInterface {
  name = 'OffboardingOwnerWrites1765400000080';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT current_schema() AS schema`)) as Array<{ schema: string }>;
    const schema = rows[0].schema;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new Error(`unexpected schema name ${JSON.stringify(schema)}`);
    }
    for (const sql of offboardedTenantRecordSql(schema)) {
      await q.query(sql);
    }
    await q.query(
      `COMMENT ON FUNCTION remove_offboarded_tenant(uuid) IS '${FUNCTION_EXECUTE.platform}: removes an offboarded tenant'`,
    );
    for (const fn of ['tenant_tree_nodes(uuid, smallint[], bigint[])', 'tenant_log_head(uuid)']) {
      await q.query(`COMMENT ON FUNCTION ${fn} IS '${FUNCTION_EXECUTE.app}: a bound proof read'`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION record_offboarded_tenant(uuid, uuid)`);
    await q.query(`COMMENT ON TABLE offboarded_tenants IS NULL`);
  }
}
