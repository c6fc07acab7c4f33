import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether the tenant's app is subscribed to its business account's webhooks
 * (`POST/DELETE /{waba-id}/subscribed_apps`): unsubscribed, no webhook is sent; subscribed by default.
 */
export class WebhookSubscription1765400000061 implements MigrationInterface {
  name = 'WebhookSubscription1765400000061';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_webhooks ADD COLUMN subscribed boolean NOT NULL DEFAULT true`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_webhooks DROP COLUMN IF EXISTS subscribed`);
  }
}
