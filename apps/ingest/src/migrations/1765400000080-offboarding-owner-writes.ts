import { MigrationInterface, QueryRunner } from 'typeorm';
import { offboardedTenantRecordSql } from '@custody/database';

/**
 * Only the owner writes the record that a tenant was offboarded (it stops the tenant's late
 * events for good), through `record_offboarded_tenant(tenant, offboarding)`, which only the
 * platform role (the consumer of offboarding requests) may call; the application role reads it.
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION record_offboarded_tenant(uuid, uuid)`);
    await q.query(`COMMENT ON TABLE offboarded_tenants IS NULL`);
  }
}
