import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { TenantId } from '@custody/database';
import { ConversationKeyCandidate, ConversationKeyRecord, ConversationKeyStore } from './conversation-key-store';
import { IV_BYTES, TAG_BYTES } from './envelope';
import {
  ConversationKeyDestroyedError,
  ConversationKeyNotFoundError,
  DataKeyDestroyedError,
  KeyProviderError,
} from './errors';
import { LruCache } from './lru-cache';
import type { SqlQueryable } from './sql-data-key-store';
import type { TenantKeyring } from './tenant-keyring';

/** An unwrapped conversation key, held as a KeyObject so it never prints. */
export interface ConversationKey {
  readonly tenantId: TenantId;
  readonly keyId: string;
  readonly conversationId: string;
  readonly key: KeyObject;
}

export interface ConversationKeyringOptions {
  /** Unwrapped conversation keys kept in memory (per map: current keys, keys by id). Default 10,000. */
  cacheMaxEntries?: number;
  /**
   * How long an unwrapped key stays cached: also how long a replica that did not handle the
   * erasure may keep sealing with (and opening under) a key destroyed elsewhere. Default 60 s.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

export interface ConversationRewrapResult {
  dataKeyVersion: number;
  rewrapped: number;
  failed: number;
}

interface PendingRequest {
  conversationId: string;
  candidate: ConversationKeyCandidate;
  resolve: (record: ConversationKeyRecord) => void;
  reject: (error: unknown) => void;
}

const CONVERSATION_KEY_BYTES = 32;
const WRAP_FORMAT = 0x02;
const WRAPPED_BYTES = 1 + IV_BYTES + CONVERSATION_KEY_BYTES + TAG_BYTES;

interface WrapContext {
  tenantId: string;
  conversationId: string;
  keyId: string;
  dataKeyVersion: number;
}

function wrapAad(c: WrapContext): Buffer {
  return Buffer.from(
    JSON.stringify(['custody.conversation-key.v1', c.tenantId, c.conversationId, c.keyId, c.dataKeyVersion]),
    'utf8',
  );
}

/**
 * A conversation key wrapped under a tenant data key: `0x02 | iv(12) | AES-256-GCM(32) | tag(16)`,
 * bound to the tenant, the conversation, the key id and the data key version (associated data),
 * so a wrapped key copied to another row, conversation or tenant does not unwrap.
 */
export function wrapConversationKey(dataKey: KeyObject, plain: Buffer, context: WrapContext): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(wrapAad(context));
  return Buffer.concat([Buffer.of(WRAP_FORMAT), iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Throws KeyProviderError when the wrapped key does not authenticate for that context. */
export function unwrapConversationKey(dataKey: KeyObject, wrapped: Buffer, context: WrapContext): Buffer {
  if (wrapped.length !== WRAPPED_BYTES || wrapped[0] !== WRAP_FORMAT) {
    throw new KeyProviderError(`conversation key ${context.keyId} of tenant ${context.tenantId} is not a wrapped key`);
  }
  const decipher = createDecipheriv('aes-256-gcm', dataKey, wrapped.subarray(1, 1 + IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(wrapAad(context));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new KeyProviderError(
      `conversation key ${context.keyId} of tenant ${context.tenantId} does not unwrap under data key v${context.dataKeyVersion}`,
    );
  }
}

/**
 * Per-conversation keys under the tenant's data keys: what makes erasing a customer a key
 * deletion. A conversation's key is made on its first sealed message (by whichever service seals
 * it: ingest, consent, tenant-store), stored only wrapped in the key store, and cached unwrapped
 * (bounded LRU + TTL), so the key store is hit once per conversation per cache lifetime, not per
 * message. The owner (tenant-store) destroys keys (erasure, offboarding) and rewraps them under a
 * tenant's new data key version (rotation).
 */
export class ConversationKeyring {
  private readonly currentKeys: LruCache<string, ConversationKey>;
  private readonly keysById: LruCache<string, ConversationKey>;
  private readonly inFlight = new Map<string, Promise<ConversationKey>>();
  /** Misses of `currentKey` waiting for this event-loop turn to end, per tenant: one store call for all of them. */
  private readonly pending = new Map<TenantId, PendingRequest[]>();

  constructor(
    private readonly store: ConversationKeyStore,
    private readonly tenantKeys: TenantKeyring,
    options: ConversationKeyringOptions = {},
  ) {
    const maxEntries = options.cacheMaxEntries ?? 10_000;
    const ttlMs = options.cacheTtlMs ?? 60_000;
    this.currentKeys = new LruCache(maxEntries, ttlMs, options.now);
    this.keysById = new LruCache(maxEntries, ttlMs, options.now);
  }

  /** The key new ciphertexts of the conversation are sealed with; made (a new generation) when it has none live. */
  async currentKey(tenantId: TenantId, conversation: string): Promise<ConversationKey> {
    const conversationId = conversation.toLowerCase();
    const id = `${tenantId}/${conversationId}`;
    const cached = this.currentKeys.get(id);
    if (cached) {
      return cached;
    }
    return this.singleFlight(`current/${id}`, async () => {
      const dataKey = await this.tenantKeys.activeKey(tenantId);
      const keyId = randomUUID();
      const plain = randomBytes(CONVERSATION_KEY_BYTES);
      try {
        const wrappedKey = wrapConversationKey(dataKey.key, plain, {
          tenantId,
          conversationId,
          keyId,
          dataKeyVersion: dataKey.version,
        });
        const record = await this.currentRecord(tenantId, conversationId, {
          keyId,
          dataKeyVersion: dataKey.version,
          wrappedKey,
        });
        const key =
          record.keyId === keyId
            ? { tenantId, keyId, conversationId, key: createSecretKey(plain) }
            : await this.materialize(record);
        this.currentKeys.set(id, key);
        this.keysById.set(`${tenantId}/${key.keyId}`, key);
        return key;
      } finally {
        plain.fill(0);
      }
    });
  }

  /** A key by id, to open a v2 envelope. Throws ConversationKeyNotFoundError or ConversationKeyDestroyedError. */
  async keyById(tenantId: TenantId, keyId: string): Promise<ConversationKey> {
    const id = `${tenantId}/${keyId}`;
    const cached = this.keysById.get(id);
    if (cached) {
      return cached;
    }
    return this.singleFlight(`id/${id}`, async () => {
      const record = await this.store.byId(tenantId, keyId);
      if (!record) {
        throw new ConversationKeyNotFoundError(tenantId, keyId);
      }
      const key = await this.materialize(record);
      this.keysById.set(id, key);
      return key;
    });
  }

  /**
   * Loads keys named by envelopes into the cache in one call (those not cached yet): e.g.
   * tenant-store, before it seals the hosted-chat notices of a batch's new conversations under
   * the keys their first messages were sealed with at the edge. A live key also becomes its
   * conversation's current key here. `within`: the caller's transaction bound to the tenant (keys
   * are only read, so nothing cached depends on that transaction committing).
   */
  async prefetch(tenantId: TenantId, keyIds: readonly string[], within?: SqlQueryable): Promise<void> {
    const missing = [...new Set(keyIds.map((id) => id.toLowerCase()))].filter(
      (id) => this.keysById.get(`${tenantId}/${id}`) === undefined,
    );
    for (let start = 0; start < missing.length; start += 1000) {
      for (const record of await this.store.byIds(tenantId, missing.slice(start, start + 1000), within)) {
        if (record.destroyed) {
          continue;
        }
        const key = await this.materialize(record);
        this.keysById.set(`${tenantId}/${key.keyId}`, key);
        this.currentKeys.set(`${tenantId}/${key.conversationId}`, key);
      }
    }
  }

  /**
   * Crypto-shreds the live keys of the given conversations (a customer's erasure) or of the whole
   * tenant (offboarding): every envelope sealed with them, wherever a copy lingers, is
   * unrecoverable. A later message of the conversation gets a new key (a new generation). Other
   * replicas forget their cached copies within `cacheTtlMs`, or at once when they handle the
   * erasure (`evict`). With `within` (a transaction bound to the tenant), in that transaction.
   * Returns how many live keys were destroyed.
   */
  async destroy(
    tenantId: TenantId,
    conversationIds: readonly string[] | 'all',
    within?: SqlQueryable,
  ): Promise<number> {
    const destroyed = await this.store.destroy(tenantId, conversationIds, within);
    this.evict(tenantId, conversationIds === 'all' ? undefined : conversationIds);
    return destroyed;
  }

  /** Destroys, then deletes the tenant's key rows, tombstones included: offboarding. */
  async purge(tenantId: TenantId): Promise<number> {
    await this.destroy(tenantId, 'all');
    return this.store.purge(tenantId);
  }

  /**
   * Rotation of the tenant's data key: rewraps every live conversation key under the active data
   * key version. The sealed messages are untouched (their keys do not change). Compare-and-set per
   * key, so it is safe on several replicas and to re-run.
   */
  async rewrap(tenantId: TenantId, options: { batchSize?: number } = {}): Promise<ConversationRewrapResult> {
    const batchSize = options.batchSize ?? 200;
    const active = await this.tenantKeys.activeKey(tenantId, { fresh: true });
    const result: ConversationRewrapResult = { dataKeyVersion: active.version, rewrapped: 0, failed: 0 };
    let after: string | null = null;
    for (;;) {
      const batch = await this.store.listNeedingRewrap(tenantId, active.version, after, batchSize);
      for (const record of batch) {
        after = record.keyId;
        try {
          const plain = await this.unwrapRecord(record);
          try {
            const wrappedKey = wrapConversationKey(active.key, plain, {
              tenantId,
              conversationId: record.conversationId,
              keyId: record.keyId,
              dataKeyVersion: active.version,
            });
            if (
              await this.store.replaceWrapping(tenantId, record.keyId, record.dataKeyVersion, {
                dataKeyVersion: active.version,
                wrappedKey,
              })
            ) {
              result.rewrapped++;
            }
          } finally {
            plain.fill(0);
          }
        } catch (error) {
          if (error instanceof ConversationKeyDestroyedError) {
            continue;
          }
          result.failed++;
        }
      }
      if (batch.length < batchSize) {
        return result;
      }
    }
  }

  /** How many live conversation keys each data key version of the tenant wraps (a version in use must not be destroyed). */
  countByDataKeyVersion(tenantId: TenantId): Promise<Map<number, number>> {
    return this.store.countByDataKeyVersion(tenantId);
  }

  /** Forgets cached keys: of some conversations of a tenant, of a tenant, or all. */
  evict(tenantId?: TenantId, conversationIds?: readonly string[]): void {
    if (tenantId === undefined) {
      this.currentKeys.clear();
      this.keysById.clear();
      return;
    }
    const conversations = conversationIds ? new Set(conversationIds.map((c) => c.toLowerCase())) : null;
    for (const cache of [this.currentKeys, this.keysById]) {
      cache.deleteWhereValue(
        (key) => key.tenantId === tenantId && (conversations === null || conversations.has(key.conversationId)),
      );
    }
  }

  private async materialize(record: ConversationKeyRecord): Promise<ConversationKey> {
    const plain = await this.unwrapRecord(record);
    try {
      return {
        tenantId: record.tenantId,
        keyId: record.keyId,
        conversationId: record.conversationId,
        key: createSecretKey(plain),
      };
    } finally {
      plain.fill(0);
    }
  }

  private async unwrapRecord(record: ConversationKeyRecord): Promise<Buffer> {
    if (record.destroyed || !record.wrappedKey) {
      throw new ConversationKeyDestroyedError(record.tenantId, record.keyId);
    }
    let dataKey;
    try {
      dataKey = await this.tenantKeys.keyByVersion(record.tenantId, record.dataKeyVersion);
    } catch (error) {
      if (error instanceof DataKeyDestroyedError) {
        throw new ConversationKeyDestroyedError(record.tenantId, record.keyId);
      }
      throw error;
    }
    return unwrapConversationKey(dataKey.key, record.wrappedKey, {
      tenantId: record.tenantId,
      conversationId: record.conversationId,
      keyId: record.keyId,
      dataKeyVersion: record.dataKeyVersion,
    });
  }

  /**
   * A conversation's current key from the store. Concurrent misses of one tenant (a burst of
   * first contacts) are coalesced into one call per event-loop turn (up to 1,000 conversations,
   * in conversation order so that concurrent calls of replicas take their locks in one order).
   */
  private currentRecord(
    tenantId: TenantId,
    conversationId: string,
    candidate: ConversationKeyCandidate,
  ): Promise<ConversationKeyRecord> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(tenantId);
      if (!queue) {
        queue = [];
        this.pending.set(tenantId, queue);
        setImmediate(() => void this.flush(tenantId));
      }
      queue.push({ conversationId, candidate, resolve, reject });
    });
  }

  private async flush(tenantId: TenantId): Promise<void> {
    const queue = (this.pending.get(tenantId) ?? []).sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1));
    this.pending.delete(tenantId);
    for (let start = 0; start < queue.length; start += 1000) {
      const chunk = queue.slice(start, start + 1000);
      try {
        const records = await this.store.currentMany(tenantId, chunk);
        for (const request of chunk) {
          const record = records.get(request.conversationId);
          if (record) {
            request.resolve(record);
          } else {
            request.reject(new Error(`the key store returned no key for conversation ${request.conversationId}`));
          }
        }
      } catch (error) {
        chunk.forEach((request) => request.reject(error));
      }
    }
  }

  private singleFlight(id: string, work: () => Promise<ConversationKey>): Promise<ConversationKey> {
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = work().finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }
}
