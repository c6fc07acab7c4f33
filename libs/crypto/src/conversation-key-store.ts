import type { TenantId } from '@custody/database';
import type { SqlQueryable } from './sql-data-key-store';

/** A conversation key as the key store holds it: only ever wrapped under a data key version of its tenant. */
export interface ConversationKeyRecord {
  tenantId: TenantId;
  /** A random UUID, named in every v2 envelope sealed with the key. */
  keyId: string;
  conversationId: string;
  /** 1, 2, 3, … per conversation: a conversation gets a new generation after its key is destroyed. */
  generation: number;
  /** The tenant data key version that wraps it. */
  dataKeyVersion: number;
  /** Null once destroyed (the row stays as a tombstone, so an envelope says "destroyed", not "unknown"). */
  wrappedKey: Buffer | null;
  destroyed: boolean;
}

/** A key made by the caller for a conversation that may have none yet: its id and wrapped bytes. */
export interface ConversationKeyCandidate {
  keyId: string;
  dataKeyVersion: number;
  wrappedKey: Buffer;
}

/**
 * Where conversation keys live. Reached like a KMS: a service asks for a conversation's current
 * key (creating it from the candidate it brings when there is none live) and for a key by id, and
 * only wrapped keys cross. Destruction, rewrapping and counts belong to the keys' owner
 * (tenant-store). `SqlConversationKeyStore` over the `custody_keys` schema's functions;
 * `MemoryConversationKeyStore` in memory for unit tests.
 */
export interface ConversationKeyStore {
  /**
   * The conversation's live key; if it has none (first message, or its keys were destroyed by an
   * erasure), the candidate becomes its next generation. Concurrent callers get the same key.
   */
  current(
    tenantId: TenantId,
    conversationId: string,
    candidate: ConversationKeyCandidate,
  ): Promise<ConversationKeyRecord>;
  /** `current` for several conversations of the tenant (up to 1,000) in one call, keyed by conversation id. */
  currentMany(
    tenantId: TenantId,
    requests: ReadonlyArray<{ conversationId: string; candidate: ConversationKeyCandidate }>,
  ): Promise<Map<string, ConversationKeyRecord>>;
  /** A key by id, destroyed ones included (without key material); null if the tenant has no such key. */
  byId(tenantId: TenantId, keyId: string): Promise<ConversationKeyRecord | null>;
  /** Several keys by id (up to 1,000) in one call, those the tenant has; `within`: the caller's transaction bound to the tenant. */
  byIds(tenantId: TenantId, keyIds: readonly string[], within?: SqlQueryable): Promise<ConversationKeyRecord[]>;
  /**
   * Destroys the live keys of the given conversations (or all of the tenant's). Returns how many
   * were live. `within`: the caller's transaction bound to the tenant (SQL stores only).
   */
  destroy(tenantId: TenantId, conversationIds: readonly string[] | 'all', within?: SqlQueryable): Promise<number>;
  /** Deletes the tenant's key rows, tombstones included (offboarding, after destroy). Returns how many. */
  purge(tenantId: TenantId): Promise<number>;
  /** Live keys of the tenant not wrapped under `dataKeyVersion`, ordered by key id, after `afterKeyId`. */
  listNeedingRewrap(
    tenantId: TenantId,
    dataKeyVersion: number,
    afterKeyId: string | null,
    limit: number,
  ): Promise<ConversationKeyRecord[]>;
  /** Replaces a live key's wrapping if it is still wrapped under `expectedVersion` (compare-and-set). */
  replaceWrapping(
    tenantId: TenantId,
    keyId: string,
    expectedVersion: number,
    wrapping: { dataKeyVersion: number; wrappedKey: Buffer },
  ): Promise<boolean>;
  /** How many live keys each data key version of the tenant wraps. */
  countByDataKeyVersion(tenantId: TenantId): Promise<Map<number, number>>;
}
