import type { TenantId } from '@custody/database';
import { ConversationKeyCandidate, ConversationKeyRecord, ConversationKeyStore } from './conversation-key-store';

/** The conversation key store in memory, for unit tests (same semantics as the SQL functions). */
export class MemoryConversationKeyStore implements ConversationKeyStore {
  private readonly rows: ConversationKeyRecord[] = [];
  /** Calls per method, to see a keyring's cache at work. */
  readonly calls = { current: 0, byId: 0, byIds: 0 };

  current(
    tenantId: TenantId,
    conversationId: string,
    candidate: ConversationKeyCandidate,
  ): Promise<ConversationKeyRecord> {
    this.calls.current++;
    const mine = this.rows.filter((r) => r.tenantId === tenantId && r.conversationId === conversationId);
    let live = mine.find((r) => !r.destroyed);
    if (!live) {
      live = {
        tenantId,
        keyId: candidate.keyId,
        conversationId,
        generation: Math.max(0, ...mine.map((r) => r.generation)) + 1,
        dataKeyVersion: candidate.dataKeyVersion,
        wrappedKey: Buffer.from(candidate.wrappedKey),
        destroyed: false,
      };
      this.rows.push(live);
    }
    return Promise.resolve(copy(live));
  }

  async currentMany(
    tenantId: TenantId,
    requests: ReadonlyArray<{ conversationId: string; candidate: ConversationKeyCandidate }>,
  ): Promise<Map<string, ConversationKeyRecord>> {
    const out = new Map<string, ConversationKeyRecord>();
    for (const r of requests) {
      out.set(r.conversationId, await this.current(tenantId, r.conversationId, r.candidate));
    }
    return out;
  }

  byId(tenantId: TenantId, keyId: string): Promise<ConversationKeyRecord | null> {
    this.calls.byId++;
    const row = this.rows.find((r) => r.tenantId === tenantId && r.keyId === keyId);
    return Promise.resolve(row ? copy(row) : null);
  }

  byIds(tenantId: TenantId, keyIds: readonly string[]): Promise<ConversationKeyRecord[]> {
    this.calls.byIds++;
    return Promise.resolve(this.rows.filter((r) => r.tenantId === tenantId && keyIds.includes(r.keyId)).map(copy));
  }

  destroy(tenantId: TenantId, conversationIds: readonly string[] | 'all'): Promise<number> {
    let destroyed = 0;
    for (const row of this.rows) {
      if (
        row.tenantId === tenantId &&
        !row.destroyed &&
        (conversationIds === 'all' || conversationIds.includes(row.conversationId))
      ) {
        row.wrappedKey?.fill(0);
        row.wrappedKey = null;
        row.destroyed = true;
        destroyed++;
      }
    }
    return Promise.resolve(destroyed);
  }

  async purge(tenantId: TenantId): Promise<number> {
    await this.destroy(tenantId, 'all');
    let purged = 0;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      if (this.rows[i].tenantId === tenantId) {
        this.rows.splice(i, 1);
        purged++;
      }
    }
    return purged;
  }

  listNeedingRewrap(
    tenantId: TenantId,
    dataKeyVersion: number,
    afterKeyId: string | null,
    limit: number,
  ): Promise<ConversationKeyRecord[]> {
    return Promise.resolve(
      this.rows
        .filter(
          (r) =>
            r.tenantId === tenantId &&
            !r.destroyed &&
            r.dataKeyVersion !== dataKeyVersion &&
            (afterKeyId === null || r.keyId > afterKeyId),
        )
        .sort((a, b) => (a.keyId < b.keyId ? -1 : 1))
        .slice(0, limit)
        .map(copy),
    );
  }

  replaceWrapping(
    tenantId: TenantId,
    keyId: string,
    expectedVersion: number,
    wrapping: { dataKeyVersion: number; wrappedKey: Buffer },
  ): Promise<boolean> {
    const row = this.rows.find(
      (r) => r.tenantId === tenantId && r.keyId === keyId && !r.destroyed && r.dataKeyVersion === expectedVersion,
    );
    if (!row) {
      return Promise.resolve(false);
    }
    row.dataKeyVersion = wrapping.dataKeyVersion;
    row.wrappedKey = Buffer.from(wrapping.wrappedKey);
    return Promise.resolve(true);
  }

  countByDataKeyVersion(tenantId: TenantId): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const row of this.rows) {
      if (row.tenantId === tenantId && !row.destroyed) {
        counts.set(row.dataKeyVersion, (counts.get(row.dataKeyVersion) ?? 0) + 1);
      }
    }
    return Promise.resolve(counts);
  }
}

function copy(row: ConversationKeyRecord): ConversationKeyRecord {
  return { ...row, wrappedKey: row.wrappedKey ? Buffer.from(row.wrappedKey) : null };
}
