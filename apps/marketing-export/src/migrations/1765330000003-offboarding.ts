import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Offboarding a tenant from the export.
 *
 * - `offboardings`: one row while the tenant's audience members are being removed at its ads
 *   destinations; it goes with the tenant's other rows when that is done.
 * - `offboarded_tenants`: the tenants offboarded, by `offboardedTenantHash` (never the id), so
 *   that their events arriving afterwards are dropped rather than bring rows back.
 * - `audit_reads` is append-only; `remove_offboarded_audit_reads(tenant)` (SECURITY DEFINER, the
 *   owner's) deletes the tenant's rows of it, and refuses unless the tenant is being offboarded
 *   (has a row in `offboardings`). The trigger lets a DELETE through only for the owner, inside
 *   that function, for that tenant; UPDATE and TRUNCATE stay refused.
 */
export class Offboarding1765330000003 implements MigrationInterface {
  name = 'Offboarding1765330000003';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT current_schema() AS schema`)) as Array<{ schema: string }>;
    const schema = rows[0].schema;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new Error(`unexpected schema name ${JSON.stringify(schema)}`);
    }
    const statements = [
      `CREATE TABLE offboardings (
        tenant_id uuid PRIMARY KEY,
        offboarding_id uuid NOT NULL,
        audience_removals integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('offboardings'),
      `CREATE TABLE offboarded_tenants (
        tenant_hash text PRIMARY KEY CHECK (tenant_hash ~ '^[0-9a-f]{64}$'),
        offboarding_id uuid NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE OR REPLACE FUNCTION audit_reads_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           IF current_setting('custody.removing_tenant', true) = OLD.tenant_id::text
              AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
             RETURN OLD;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit_reads is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
       END $$`,
      `CREATE FUNCTION remove_offboarded_audit_reads(p_tenant uuid) RETURNS bigint
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
       DECLARE
         v_count bigint;
       BEGIN
         PERFORM set_config('custody.tenant_id', p_tenant::text, true);
         IF NOT EXISTS (SELECT 1 FROM offboardings WHERE tenant_id = p_tenant) THEN
           RAISE EXCEPTION 'remove_offboarded_audit_reads: the tenant is not being offboarded' USING ERRCODE = 'insufficient_privilege';
         END IF;
         PERFORM set_config('custody.removing_tenant', p_tenant::text, true);
         DELETE FROM audit_reads WHERE tenant_id = p_tenant;
         GET DIAGNOSTICS v_count = ROW_COUNT;
         PERFORM set_config('custody.removing_tenant', '', true);
         RETURN v_count;
       END $$`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION remove_offboarded_audit_reads(uuid)');
    await q.query(`CREATE OR REPLACE FUNCTION audit_reads_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit_reads is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
       END $$`);
    await q.query('DROP TABLE offboarded_tenants');
    await q.query('DROP TABLE offboardings');
  }
}
