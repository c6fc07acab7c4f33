import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Every time an operator reads a tenant's decrypted data (the operator export), a row the tenant
 * can read (GET /v1/operator-access). Append-only: rows never change; they go with the tenant.
 */
export class OperatorAccessLog1764900000016 implements MigrationInterface {
  name = 'OperatorAccessLog1764900000016';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE operator_access_log (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        actor text NOT NULL,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        request_id text,
        at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX operator_access_log_tenant_at ON operator_access_log (tenant_id, at DESC, id DESC)`,
      ...tenantRlsSql('operator_access_log'),
      `CREATE FUNCTION operator_access_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the operator access log is append-only';
       END $$`,
      `CREATE TRIGGER operator_access_log_no_update BEFORE UPDATE ON operator_access_log
         FOR EACH ROW EXECUTE FUNCTION operator_access_log_immutable()`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE operator_access_log');
    await q.query('DROP FUNCTION operator_access_log_immutable()');
  }
}
