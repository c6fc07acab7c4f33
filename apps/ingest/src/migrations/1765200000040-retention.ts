import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Each tenant's retention as tenant-store publishes it, so ingest purges its own copies (webhook
 * deliveries and attempts, stored send responses) past it; indexes for those purges.
 */
export class Retention1765200000040 implements MigrationInterface {
  name = 'Retention1765200000040';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE tenant_retention (
        tenant_id uuid PRIMARY KEY,
        retention_days int NOT NULL CHECK (retention_days > 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('tenant_retention'),
      `CREATE INDEX webhook_deliveries_tenant_created ON webhook_deliveries (tenant_id, created_at)`,
      `CREATE INDEX webhook_attempts_tenant_attempted ON webhook_attempts (tenant_id, attempted_at)`,
      `CREATE INDEX idempotency_keys_tenant_created ON idempotency_keys (tenant_id, created_at)`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idempotency_keys_tenant_created`);
    await q.query(`DROP INDEX IF EXISTS webhook_attempts_tenant_attempted`);
    await q.query(`DROP INDEX IF EXISTS webhook_deliveries_tenant_created`);
    await q.query(`DROP TABLE IF EXISTS tenant_retention`);
  }
}
