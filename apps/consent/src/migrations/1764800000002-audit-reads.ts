import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Every read an auditor makes of a consent log (or of the list of logs, `tenant_id` null), kept
 * append-only so a tenant can see who read its log and when.
 */
export class AuditReads1764800000002 implements MigrationInterface {
  name = 'AuditReads1764800000002';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE audit_reads (
        id bigserial PRIMARY KEY,
        tenant_id uuid,
        reader text NOT NULL,
        token_id text,
        method text NOT NULL,
        route text NOT NULL,
        query jsonb NOT NULL DEFAULT '{}',
        read_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX audit_reads_tenant ON audit_reads (tenant_id, id DESC)`,
      ...tenantRlsSql('audit_reads'),
      `CREATE TRIGGER audit_reads_append_only BEFORE UPDATE OR DELETE ON audit_reads FOR EACH ROW EXECUTE FUNCTION refuse_change()`,
      `CREATE TRIGGER audit_reads_no_truncate BEFORE TRUNCATE ON audit_reads FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_reads');
  }
}
