import type { TenantId } from '@custody/database';
import { ConversationKeyCandidate, ConversationKeyRecord, ConversationKeyStore } from './conversation-key-store';
import { CONVERSATION_KEYS_SCHEMA } from './conversation-keys.sql';
import type { SqlQueryable, TenantTransactionRunner } from './sql-data-key-store';

interface KeyRow {
  key_id?: string;
  conversation_id?: string;
  generation: number;
  data_key_version: number;
  wrapped_key: Buffer | null;
  destroyed?: boolean;
}

async function select<T>(db: SqlQueryable, sql: string, parameters: unknown[]): Promise<T[]> {
  const result = await db.query(sql, parameters);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

const S = CONVERSATION_KEYS_SCHEMA;

/**
 * The conversation key store over the `custody_keys` functions (`conversationKeyStoreSql`): each
 * call is one transaction bound to the tenant (the functions refuse any other tenant), or runs in
 * the caller's transaction for that tenant (`within`).
 */
export class SqlConversationKeyStore implements ConversationKeyStore {
  constructor(private readonly db: Pick<TenantTransactionRunner, 'forTenant'>) {}

  async current(
    tenantId: TenantId,
    conversationId: string,
    candidate: ConversationKeyCandidate,
  ): Promise<ConversationKeyRecord> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<KeyRow>(db, `SELECT * FROM ${S}.conversation_key($1, $2, $3, $4, $5)`, [
        tenantId,
        conversationId,
        candidate.keyId,
        candidate.dataKeyVersion,
        candidate.wrappedKey,
      ]),
    );
    const row = rows[0];
    return record(tenantId, { ...row, conversation_id: conversationId.toLowerCase(), destroyed: false });
  }

  async currentMany(
    tenantId: TenantId,
    requests: ReadonlyArray<{ conversationId: string; candidate: ConversationKeyCandidate }>,
  ): Promise<Map<string, ConversationKeyRecord>> {
    if (requests.length === 0) {
      return new Map();
    }
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<KeyRow>(
        db,
        `SELECT * FROM ${S}.conversation_keys_current($1, $2::uuid[], $3::uuid[], $4::integer[], $5::bytea[])`,
        [
          tenantId,
          requests.map((r) => r.conversationId),
          requests.map((r) => r.candidate.keyId),
          requests.map((r) => r.candidate.dataKeyVersion),
          requests.map((r) => r.candidate.wrappedKey),
        ],
      ),
    );
    return new Map(rows.map((r) => [r.conversation_id!, record(tenantId, { ...r, destroyed: false })]));
  }

  async byId(tenantId: TenantId, keyId: string): Promise<ConversationKeyRecord | null> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<KeyRow>(db, `SELECT * FROM ${S}.conversation_key_by_id($1, $2)`, [tenantId, keyId]),
    );
    return rows[0] ? record(tenantId, { ...rows[0], key_id: keyId.toLowerCase() }) : null;
  }

  async byIds(tenantId: TenantId, keyIds: readonly string[], within?: SqlQueryable): Promise<ConversationKeyRecord[]> {
    if (keyIds.length === 0) {
      return [];
    }
    const run = (db: SqlQueryable) =>
      select<KeyRow>(db, `SELECT * FROM ${S}.conversation_keys_by_ids($1, $2::uuid[])`, [tenantId, keyIds]);
    const rows = within ? await run(within) : await this.db.forTenant(tenantId, run);
    return rows.map((r) => record(tenantId, r));
  }

  /** Destroys keys; with `within`, in the caller's transaction for the tenant (e.g. beside the rows it deletes). */
  async destroy(
    tenantId: TenantId,
    conversationIds: readonly string[] | 'all',
    within?: SqlQueryable,
  ): Promise<number> {
    const run = async (db: SqlQueryable) => {
      const rows = await select<{ n: number }>(
        db,
        conversationIds === 'all'
          ? `SELECT ${S}.destroy_tenant_conversation_keys($1, false) AS n`
          : `SELECT ${S}.destroy_conversation_keys($1, $2::uuid[]) AS n`,
        conversationIds === 'all' ? [tenantId] : [tenantId, conversationIds],
      );
      return Number(rows[0]?.n ?? 0);
    };
    if (conversationIds !== 'all' && conversationIds.length === 0) {
      return 0;
    }
    return within ? run(within) : this.db.forTenant(tenantId, run);
  }

  async purge(tenantId: TenantId): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ n: number }>(db, `SELECT ${S}.destroy_tenant_conversation_keys($1, true) AS n`, [tenantId]),
    );
    return Number(rows[0]?.n ?? 0);
  }

  async listNeedingRewrap(
    tenantId: TenantId,
    dataKeyVersion: number,
    afterKeyId: string | null,
    limit: number,
  ): Promise<ConversationKeyRecord[]> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<KeyRow>(db, `SELECT * FROM ${S}.conversation_keys_to_rewrap($1, $2, $3, $4)`, [
        tenantId,
        dataKeyVersion,
        afterKeyId,
        limit,
      ]),
    );
    return rows.map((r) => record(tenantId, { ...r, destroyed: false }));
  }

  async replaceWrapping(
    tenantId: TenantId,
    keyId: string,
    expectedVersion: number,
    wrapping: { dataKeyVersion: number; wrappedKey: Buffer },
  ): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ ok: boolean }>(db, `SELECT ${S}.rewrap_conversation_key($1, $2, $3, $4, $5) AS ok`, [
        tenantId,
        keyId,
        expectedVersion,
        wrapping.dataKeyVersion,
        wrapping.wrappedKey,
      ]),
    );
    return rows[0]?.ok === true;
  }

  async countByDataKeyVersion(tenantId: TenantId): Promise<Map<number, number>> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ data_key_version: number; n: number }>(
        db,
        `SELECT * FROM ${S}.conversation_keys_by_data_key_version($1)`,
        [tenantId],
      ),
    );
    return new Map(rows.map((r) => [Number(r.data_key_version), Number(r.n)]));
  }
}

function record(tenantId: TenantId, row: KeyRow): ConversationKeyRecord {
  return {
    tenantId,
    keyId: row.key_id!,
    conversationId: row.conversation_id!,
    generation: Number(row.generation),
    dataKeyVersion: Number(row.data_key_version),
    wrappedKey: row.wrapped_key,
    destroyed: row.destroyed === true || row.wrapped_key === null,
  };
}
