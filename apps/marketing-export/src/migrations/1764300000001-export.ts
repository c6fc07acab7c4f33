import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The export's own consent view (from the compacted consent topic), the tenants' authorization
 * states, the export records (one per candidate or removal and destination: the state machine
 * and the ledger in one), the current audience memberships, and erasure requests in progress.
 */
export class Export1764300000001 implements MigrationInterface {
  name = 'Export1764300000001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE consent_states (
        tenant_id uuid NOT NULL,
        wa_id text NOT NULL,
        purpose_key text NOT NULL,
        subject text NOT NULL,
        data_use text NOT NULL,
        status text NOT NULL CHECK (status IN ('granted', 'revoked')),
        event_id text NOT NULL,
        log_index bigint NOT NULL CHECK (log_index >= 0),
        leaf_hash text NOT NULL,
        effective_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, wa_id, purpose_key)
      )`,
      ...tenantRlsSql('consent_states'),

      `CREATE TABLE authorizations (
        tenant_id uuid NOT NULL,
        authorization_id uuid NOT NULL,
        version int NOT NULL CHECK (version >= 1),
        status text NOT NULL CHECK (status IN ('active', 'withdrawn')),
        destination_id uuid NOT NULL,
        destination_kind text NOT NULL,
        data_uses text[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, authorization_id)
      )`,
      ...tenantRlsSql('authorizations'),

      `CREATE TABLE export_records (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL UNIQUE,
        tenant_id uuid NOT NULL,
        destination_id uuid NOT NULL,
        destination_kind text NOT NULL CHECK (destination_kind IN ('customer_list_audience', 'conversions_dataset')),
        ad_account_id text NOT NULL,
        target_id text NOT NULL,
        operation text NOT NULL CHECK (operation IN ('add', 'event', 'remove')),
        record_key text NOT NULL,
        authorization_id uuid,
        authorization_version int,
        data_uses text[] NOT NULL,
        message_id text,
        conversation_id uuid,
        wa_id text,
        member_hash text,
        event_time timestamptz,
        ctwa_clid text,
        status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'suppressed', 'rejected', 'removed')),
        reason text,
        error jsonb,
        consent jsonb,
        trigger jsonb,
        batch jsonb,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        erasure_request_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        checked_at timestamptz,
        completed_at timestamptz,
        UNIQUE (tenant_id, destination_id, record_key)
      )`,
      `CREATE INDEX export_records_due ON export_records (next_attempt_at, tenant_id, destination_id, operation) WHERE status = 'pending'`,
      `CREATE INDEX export_records_sending ON export_records (lease_until) WHERE status = 'sending'`,
      `CREATE INDEX export_records_customer ON export_records (tenant_id, wa_id) WHERE wa_id IS NOT NULL`,
      `CREATE INDEX export_records_page ON export_records (tenant_id, seq)`,
      `CREATE INDEX export_records_erasure ON export_records (tenant_id, erasure_request_id) WHERE erasure_request_id IS NOT NULL`,
      ...tenantRlsSql('export_records'),

      // Who is in which audience now: a row from the confirmed upload until the confirmed removal.
      `CREATE TABLE audience_members (
        tenant_id uuid NOT NULL,
        destination_id uuid NOT NULL,
        member_hash text NOT NULL,
        wa_id text,
        ad_account_id text NOT NULL,
        target_id text NOT NULL,
        data_uses text[] NOT NULL,
        state text NOT NULL CHECK (state IN ('active', 'removing')),
        added_record_id uuid NOT NULL,
        removal_record_id uuid,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, destination_id, member_hash)
      )`,
      `CREATE INDEX audience_members_customer ON audience_members (tenant_id, wa_id) WHERE wa_id IS NOT NULL`,
      ...tenantRlsSql('audience_members'),

      `CREATE TABLE erasure_requests (
        tenant_id uuid NOT NULL,
        request_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'completed')),
        outcome text,
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (tenant_id, request_id)
      )`,
      ...tenantRlsSql('erasure_requests'),
    ];
    for (const statement of statements) {
      await q.query(statement);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'erasure_requests',
      'audience_members',
      'export_records',
      'authorizations',
      'consent_states',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
