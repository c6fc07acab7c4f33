import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The customers' messages ingest accepted (ids only, no content), so that mark-as-read can check
 * that a message exists, is inbound and is the caller's, and keep when it was read.
 */
export class InboundMessages1765200000042 implements MigrationInterface {
  name = 'InboundMessages1765200000042';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE inbound_messages (
        tenant_id uuid NOT NULL,
        message_id text NOT NULL,
        phone_number_id text NOT NULL,
        conversation_id uuid NOT NULL,
        wa_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        PRIMARY KEY (tenant_id, message_id)
      )`,
      `CREATE INDEX inbound_messages_tenant_received ON inbound_messages (tenant_id, received_at)`,
      ...tenantRlsSql('inbound_messages'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS inbound_messages`);
  }
}
