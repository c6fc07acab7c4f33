import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_TABLE_SQL, tenantRlsSql } from '@custody/database';

export class Init1764057600000 implements MigrationInterface {
  name = 'Init1764057600000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      OUTBOX_TABLE_SQL,
      `CREATE TABLE tenant_numbers (
        phone_number_id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        business_account_id text NOT NULL,
        display_phone_number text NOT NULL,
        status text NOT NULL,
        messages_per_second int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX tenant_numbers_tenant ON tenant_numbers (tenant_id)`,
      ...tenantRlsSql('tenant_numbers'),
      `CREATE TABLE tenant_webhooks (
        tenant_id uuid PRIMARY KEY,
        url text,
        app_secret text NOT NULL,
        source text NOT NULL CHECK (source IN ('operator', 'tenant')),
        verified_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('tenant_webhooks'),
      `CREATE TABLE service_windows (
        conversation_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        last_customer_message_at timestamptz NOT NULL
      )`,
      ...tenantRlsSql('service_windows'),
      `CREATE TABLE idempotency_keys (
        tenant_id uuid NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      )`,
      ...tenantRlsSql('idempotency_keys'),
      `CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        event_id text NOT NULL,
        business_account_id text NOT NULL,
        phone_number_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('message', 'status')),
        payload jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'expired')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz,
        last_status int,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (tenant_id, event_id)
      )`,
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
      ...tenantRlsSql('webhook_deliveries'),
      `CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        delivery_ids bigint[] NOT NULL,
        url text NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        status_code int,
        error text,
        duration_ms int NOT NULL
      )`,
      `CREATE INDEX webhook_attempts_tenant ON webhook_attempts (tenant_id, id)`,
      ...tenantRlsSql('webhook_attempts'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'webhook_attempts',
      'webhook_deliveries',
      'idempotency_keys',
      'service_windows',
      'tenant_webhooks',
      'tenant_numbers',
      'outbox',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
