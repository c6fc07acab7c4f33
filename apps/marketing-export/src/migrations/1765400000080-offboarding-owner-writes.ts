import { MigrationInterface, QueryRunner } from 'typeorm';
import { FUNCTION_EXECUTE, offboardedTenantRecordSql } from '@custody/database';

/**
 * Only the owner writes the record that a tenant was offboarded, through
 * `record_offboarded_tenant(tenant, offboarding)`, which only the platform role (the consumer of
 * offboarding requests) may call; the application role reads it. `remove_offboarded_audit_reads`
 * now requires that record (a row in `offboardings`, which the application role may write for its
 * own tenant, no longer unlocks it) and is the platform role's alone.
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
    await q.query(`CREATE OR REPLACE FUNCTION remove_offboarded_audit_reads(p_tenant uuid) RETURNS bigint
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
       DECLARE
         v_count bigint;
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM offboarded_tenants
                         WHERE tenant_hash = encode(sha256(convert_to('custody.offboarded-tenant.v1:' || lower(p_tenant::text), 'UTF8')), 'hex')) THEN
           RAISE EXCEPTION 'remove_offboarded_audit_reads: the tenant is not recorded as offboarded' USING ERRCODE = 'insufficient_privilege';
         END IF;
         PERFORM set_config('custody.removing_tenant', p_tenant::text, true);
         DELETE FROM audit_reads WHERE tenant_id = p_tenant;
         GET DIAGNOSTICS v_count = ROW_COUNT;
         PERFORM set_config('custody.removing_tenant', '', true);
         RETURN v_count;
       END $$`);
    await q.query(
      `COMMENT ON FUNCTION remove_offboarded_audit_reads(uuid) IS '${FUNCTION_EXECUTE.platform}: removes an offboarded tenant''s audit reads'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION record_offboarded_tenant(uuid, uuid)`);
    await q.query(`COMMENT ON TABLE offboarded_tenants IS NULL`);
  }
}
