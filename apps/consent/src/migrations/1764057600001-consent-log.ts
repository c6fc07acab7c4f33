import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Purposes and wordings, customer pseudonym keys, the per-tenant Merkle log (entries, stored
 * tree nodes, its head), signed tree heads, the derived consent state, processed chat commands.
 * Log tables are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE for every role, so
 * changing history takes a deliberate `ALTER TABLE ... DISABLE TRIGGER` by the table owner, and
 * even that is detected by auditors (docs/auditors.md).
 */
export class ConsentLog1764057600001 implements MigrationInterface {
  name = 'ConsentLog1764057600001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
       END $$`,

      `CREATE TABLE purposes (
        tenant_id uuid NOT NULL,
        key text NOT NULL,
        data_use text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      )`,
      ...tenantRlsSql('purposes'),

      `CREATE TABLE purpose_versions (
        tenant_id uuid NOT NULL,
        purpose_key text NOT NULL,
        language text NOT NULL,
        version int NOT NULL CHECK (version >= 1),
        hash text NOT NULL,
        content bytea NOT NULL,
        text text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, purpose_key, language, version),
        UNIQUE (tenant_id, hash),
        FOREIGN KEY (tenant_id, purpose_key) REFERENCES purposes (tenant_id, key)
      )`,
      ...tenantRlsSql('purpose_versions'),
      ...appendOnly('purpose_versions'),

      `CREATE TABLE opt_in_prompts (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        language text NOT NULL,
        purpose_keys text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX opt_in_prompts_tenant ON opt_in_prompts (tenant_id, id DESC)`,
      ...tenantRlsSql('opt_in_prompts'),

      // The per-tenant HMAC key behind customer pseudonyms, apart from the log: destroying it
      // unlinks phone numbers from log entries without touching the log's hashes.
      `CREATE TABLE pseudonym_keys (
        tenant_id uuid PRIMARY KEY,
        key bytea NOT NULL CHECK (length(key) = 32),
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('pseudonym_keys'),

      `CREATE TABLE log_heads (
        tenant_id uuid PRIMARY KEY,
        size bigint NOT NULL CHECK (size >= 0),
        frontier bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      ...tenantRlsSql('log_heads'),

      `CREATE TABLE log_entries (
        tenant_id uuid NOT NULL,
        leaf_index bigint NOT NULL,
        event_id uuid NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL,
        purpose_key text,
        entry bytea NOT NULL,
        recorded_at timestamptz NOT NULL,
        idempotency_key text,
        request_hash text,
        PRIMARY KEY (tenant_id, leaf_index),
        UNIQUE (tenant_id, event_id)
      )`,
      `CREATE UNIQUE INDEX log_entries_idempotency ON log_entries (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX log_entries_subject ON log_entries (tenant_id, subject, leaf_index)`,
      ...tenantRlsSql('log_entries'),
      ...appendOnly('log_entries'),

      // Roots of complete perfect subtrees: node (level, idx) covers leaves [idx·2^level, (idx+1)·2^level).
      `CREATE TABLE log_nodes (
        tenant_id uuid NOT NULL,
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (tenant_id, level, idx)
      )`,
      ...tenantRlsSql('log_nodes'),
      ...appendOnly('log_nodes'),

      `CREATE TABLE tree_heads (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        tree_size bigint NOT NULL,
        root bytea NOT NULL,
        signed_at_ms bigint NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL
      )`,
      `CREATE INDEX tree_heads_tenant ON tree_heads (tenant_id, id DESC)`,
      ...tenantRlsSql('tree_heads'),
      ...appendOnly('tree_heads'),

      `CREATE TABLE consent_state (
        tenant_id uuid NOT NULL,
        subject text NOT NULL,
        purpose_key text NOT NULL,
        status text NOT NULL CHECK (status IN ('granted', 'revoked')),
        version_hash text,
        event_id uuid NOT NULL,
        leaf_index bigint NOT NULL,
        changed_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, subject, purpose_key)
      )`,
      ...tenantRlsSql('consent_state'),

      `CREATE TABLE chat_commands (
        tenant_id uuid NOT NULL,
        message_id text NOT NULL,
        command text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, message_id)
      )`,
      ...tenantRlsSql('chat_commands'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'chat_commands',
      'consent_state',
      'tree_heads',
      'log_nodes',
      'log_entries',
      'log_heads',
      'pseudonym_keys',
      'opt_in_prompts',
      'purpose_versions',
      'purposes',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query('DROP FUNCTION refuse_change()');
  }
}

function appendOnly(table: string): string[] {
  return [
    `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change()`,
    `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`,
  ];
}
