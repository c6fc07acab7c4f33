import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivered webhook keeps no payload: the row stays as the delivery's record (event id, kind,
 * attempts, status), the message or status it carried is gone once the tenant has it. Rows name
 * their conversation, so a customer's erasure still finds them without a payload.
 */
export class WebhookPayloadAfterDelivery1764900000002 implements MigrationInterface {
  name = 'WebhookPayloadAfterDelivery1764900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ALTER COLUMN payload DROP NOT NULL`);
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN conversation_id uuid`);
    await q.query(
      `UPDATE webhook_deliveries SET conversation_id = (payload->>'conversationId')::uuid WHERE payload ? 'conversationId'`,
    );
    await q.query(`UPDATE webhook_deliveries SET payload = NULL WHERE state = 'delivered'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN conversation_id`);
    await q.query(`UPDATE webhook_deliveries SET payload = '{}'::jsonb WHERE payload IS NULL`);
    await q.query(`ALTER TABLE webhook_deliveries ALTER COLUMN payload SET NOT NULL`);
  }
}
