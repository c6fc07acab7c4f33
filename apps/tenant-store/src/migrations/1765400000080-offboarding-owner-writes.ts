import { MigrationInterface, QueryRunner } from 'typeorm';
import { FUNCTION_EXECUTE, TABLE_ACCESS } from '@custody/database';

/**
 * Offboardings and the services' reports are the operator's evidence: the application role can no
 * longer read or write them (they carry no tenant id, so row-level security could not scope them).
 * The platform role records the reports; a new offboarding is recorded by the owner's
 * `record_offboarding(id, tenant, requested_by, services)`, which the application role calls in
 * the transaction that deletes the tenant, and which refuses unless that transaction is bound to
 * the tenant and the tenant's row is gone.
 */
export class OffboardingOwnerWrites1765400000080 implements MigrationInterface {
  name = 'OffboardingOwnerWrites1765400000080';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT current_schema() AS schema`)) as Array<{ schema: string }>;
    const schema = rows[0].schema;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new Error(`unexpected schema name ${JSON.stringify(schema)}`);
    }
    for (const table of ['offboardings', 'offboarding_services']) {
      await q.query(`COMMENT ON TABLE ${table} IS '${TABLE_ACCESS.platform}: the operator''s offboarding reports'`);
    }
    await q.query(`CREATE FUNCTION record_offboarding(p_id uuid, p_tenant uuid, p_requested_by text, p_services text[])
      RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
      BEGIN
        IF p_tenant::text IS DISTINCT FROM ${schema}.custody_tenant() THEN
          RAISE EXCEPTION 'record_offboarding: the transaction is not bound to this tenant' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant) THEN
          RAISE EXCEPTION 'record_offboarding: the tenant still exists' USING ERRCODE = 'insufficient_privilege';
        END IF;
        INSERT INTO offboardings (id, tenant_hash, status, requested_by)
        VALUES (p_id, encode(sha256(convert_to('custody.offboarded-tenant.v1:' || lower(p_tenant::text), 'UTF8')), 'hex'),
                'pending', p_requested_by);
        INSERT INTO offboarding_services (offboarding_id, service, status)
        SELECT p_id, s, 'pending' FROM unnest(p_services) AS s;
      END $$`);
    await q.query(
      `COMMENT ON FUNCTION record_offboarding(uuid, uuid, text, text[]) IS '${FUNCTION_EXECUTE.app}: records an offboarding in the transaction that deletes the tenant'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION record_offboarding(uuid, uuid, text, text[])`);
    for (const table of ['offboardings', 'offboarding_services']) {
      await q.query(`COMMENT ON TABLE ${table} IS NULL`);
    }
  }
}
