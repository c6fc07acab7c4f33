import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/** Every read an auditor makes of a tenant's export ledger, append-only, so the tenant sees who read it. */
export class AuditReads1765000000001 implements MigrationInterface {
  name = 'AuditReads1765000000001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE audit_reads (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        reader text NOT NULL,
        token_id text,
        method text NOT NULL,
        route text NOT NULL,
        query jsonb NOT NULL DEFAULT '{}',
        read_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX audit_reads_tenant ON audit_reads (tenant_id, id DESC)`,
      ...tenantRlsSql('audit_reads'),
      `CREATE FUNCTION audit_reads_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit_reads is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
       END $$`,
      `CREATE TRIGGER audit_reads_append_only BEFORE UPDATE OR DELETE ON audit_reads FOR EACH ROW EXECUTE FUNCTION audit_reads_refuse_change()`,
      `CREATE TRIGGER audit_reads_no_truncate BEFORE TRUNCATE ON audit_reads FOR EACH STATEMENT EXECUTE FUNCTION audit_reads_refuse_change()`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_reads');
    await q.query('DROP FUNCTION audit_reads_refuse_change()');
  }
}
