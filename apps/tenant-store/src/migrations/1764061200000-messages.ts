import { MigrationInterface, QueryRunner } from 'typeorm';
import { dataKeysTableSql } from '@custody/crypto';
import { tenantRlsSql } from '@custody/database';

export class Messages1764061200000 implements MigrationInterface {
  name = 'Messages1764061200000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      ...dataKeysTableSql(),
      `CREATE TABLE conversations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        phone_number_id text NOT NULL,
        customer_wa_id text NOT NULL,
        customer_profile_name text,
        referral jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_message_at timestamptz NOT NULL,
        last_customer_message_at timestamptz,
        notice_sent_at timestamptz
      )`,
      `CREATE INDEX conversations_tenant_recent ON conversations (tenant_id, last_message_at DESC, id)`,
      `CREATE INDEX conversations_tenant_customer ON conversations (tenant_id, customer_wa_id)`,
      ...tenantRlsSql('conversations'),
      `CREATE TABLE messages (
        message_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        origin text NOT NULL CHECK (origin IN ('customer', 'business', 'system')),
        message_type text NOT NULL,
        content_ciphertext text NOT NULL,
        context_message_id text,
        network_timestamp timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL CHECK (status IN ('received', 'accepted', 'sent', 'delivered', 'read', 'failed')),
        status_updated_at timestamptz
      )`,
      `CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, network_timestamp, message_id)`,
      ...tenantRlsSql('messages'),
      `CREATE TABLE message_statuses (
        message_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        network_timestamp timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        errors jsonb,
        PRIMARY KEY (message_id, status)
      )`,
      `CREATE INDEX message_statuses_tenant ON message_statuses (tenant_id)`,
      ...tenantRlsSql('message_statuses'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE message_statuses');
    await q.query('DROP TABLE messages');
    await q.query('DROP TABLE conversations');
    await q.query('DROP TABLE data_keys');
  }
}
