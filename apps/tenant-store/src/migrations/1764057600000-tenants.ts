import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_TABLE_SQL, tenantRlsSql } from '@custody/database';

export class Tenants1764057600000 implements MigrationInterface {
  name = 'Tenants1764057600000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        business_account_id text NOT NULL UNIQUE,
        display_name text NOT NULL,
        webhook_url text,
        app_secret text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'suspended')),
        messages_per_second int NOT NULL DEFAULT 80 CHECK (messages_per_second BETWEEN 1 AND 1000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('tenants', 'id'),
      `CREATE TABLE phone_numbers (
        phone_number_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        display_phone_number text NOT NULL
      )`,
      `CREATE INDEX phone_numbers_tenant ON phone_numbers (tenant_id)`,
      ...tenantRlsSql('phone_numbers'),
      `CREATE TABLE client_credentials (
        client_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        roles text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`,
      `CREATE INDEX client_credentials_tenant ON client_credentials (tenant_id)`,
      ...tenantRlsSql('client_credentials'),
      OUTBOX_TABLE_SQL,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
    await q.query('DROP TABLE client_credentials');
    await q.query('DROP TABLE phone_numbers');
    await q.query('DROP TABLE tenants');
  }
}
