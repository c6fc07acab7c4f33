import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The tenants' message templates (per business account, name and language) with their review
 * status; webhook deliveries may now also announce a template's status change (`template`).
 * Templates are the business's own wording, not customer content: kept as they were created.
 */
export class MessageTemplates1765300000050 implements MigrationInterface {
  name = 'MessageTemplates1765300000050';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE message_templates (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        business_account_id text NOT NULL,
        name text NOT NULL,
        language text NOT NULL,
        category text NOT NULL,
        parameter_format text NOT NULL,
        components jsonb NOT NULL,
        status text NOT NULL,
        rejected_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, business_account_id, name, language)
      )`,
      `CREATE INDEX message_templates_tenant_account ON message_templates (tenant_id, business_account_id, id)`,
      ...tenantRlsSql('message_templates'),
      `ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_kind_check`,
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_kind_check CHECK (kind IN ('message', 'status', 'template'))`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM webhook_deliveries WHERE kind = 'template'`);
    await q.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_kind_check`);
    await q.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_kind_check CHECK (kind IN ('message', 'status'))`,
    );
    await q.query(`DROP TABLE IF EXISTS message_templates`);
  }
}
