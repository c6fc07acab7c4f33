import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import type { TenantId } from '@custody/database';
import { DataKeyCursor, DataKeyRecord, DataKeyStore } from './data-key-store';
import { DataKeyDestroyedError, DataKeyNotFoundError, KeyringStateError } from './errors';
import { KeyProvider } from './key-provider';
import { LruCache } from './lru-cache';

/** An unwrapped data key, held as a KeyObject so it never prints. */
export interface DataKey {
  readonly tenantId: TenantId;
  readonly version: number;
  readonly key: KeyObject;
}

/** What the keyring tells about a key, without key material. */
export interface DataKeyInfo {
  tenantId: TenantId;
  version: number;
  masterKeyId: string;
  active: boolean;
  createdAt: Date;
  retiredAt: Date | null;
  destroyedAt: Date | null;
}

export interface TenantKeyringOptions {
  /** Unwrapped data keys kept in memory, least recently used dropped first. Default 10,000. */
  cacheMaxEntries?: number;
  /**
   * How long an unwrapped key stays cached. Also how long a key destroyed on another replica may
   * keep working here. Default 5 minutes.
   */
  cacheTtlMs?: number;
  /**
   * How long a replica keeps encrypting with the active version it last read. After `rotate()` on
   * one replica, the others switch within this; `destroyVersion` waits this long after retirement.
   * Default 60 seconds.
   */
  activeVersionTtlMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /**
   * Whether this keyring makes a tenant's first key on first use (the owner of the keys,
   * tenant-store) or only uses keys distributed to it (ingest, consent: `false`, and a tenant
   * without an active key is a DataKeyNotFoundError with version null). Default true.
   */
  createKeys?: boolean;
}

export interface RewrapProgress {
  /** Live data keys rewrapped under the active master key so far. */
  rewrapped: number;
  /** Keys that could not be rewrapped (listed in the result); they stay under their old master key. */
  failed: number;
  /** Where a later run may resume. */
  cursor: DataKeyCursor | null;
}

export interface RewrapResult extends RewrapProgress {
  masterKeyId: string;
  /** Up to 100 failures, to report; the count is in `failed`. */
  failures: Array<{ tenantId: string; version: number; error: string }>;
}

const DATA_KEY_BYTES = 32;

/**
 * Per-tenant data keys, versioned and wrapped by the key provider's master key. A tenant's first
 * key is made on first use; `rotate` starts a new version for new writes while old versions keep
 * decrypting; `rewrapAll` moves every data key under a new master key without touching
 * ciphertexts; `destroy` crypto-shreds a tenant. Unwrapped keys are cached (bounded LRU + TTL)
 * so the key provider is not on the hot path.
 */
export class TenantKeyring {
  private readonly keys: LruCache<string, DataKey>;
  private readonly activeVersions: LruCache<string, number>;
  private readonly inFlight = new Map<string, Promise<DataKey>>();
  private readonly now: () => number;
  private readonly activeVersionTtlMs: number;
  private readonly createKeys: boolean;

  constructor(
    private readonly store: DataKeyStore,
    private readonly provider: KeyProvider,
    options: TenantKeyringOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.activeVersionTtlMs = options.activeVersionTtlMs ?? 60_000;
    this.createKeys = options.createKeys ?? true;
    const maxEntries = options.cacheMaxEntries ?? 10_000;
    this.keys = new LruCache(maxEntries, options.cacheTtlMs ?? 5 * 60_000, this.now);
    this.activeVersions = new LruCache(maxEntries, this.activeVersionTtlMs, this.now);
  }

  /** The key new ciphertexts of the tenant use; created (version 1) on the tenant's first use. */
  async activeKey(tenantId: TenantId, options: { fresh?: boolean } = {}): Promise<DataKey> {
    if (!options.fresh) {
      const version = this.activeVersions.get(tenantId);
      const cached = version === undefined ? undefined : this.keys.get(cacheKey(tenantId, version));
      if (cached) {
        return cached;
      }
    }
    return this.singleFlight(`active/${tenantId}`, async () => {
      const record = (await this.store.findActive(tenantId)) ?? (await this.firstUse(tenantId));
      const key = this.keys.get(cacheKey(tenantId, record.version)) ?? (await this.materialize(record));
      this.activeVersions.set(tenantId, record.version);
      return key;
    });
  }

  /** A specific version, for decryption. Throws DataKeyNotFoundError or DataKeyDestroyedError. */
  async keyByVersion(tenantId: TenantId, version: number): Promise<DataKey> {
    const cached = this.keys.get(cacheKey(tenantId, version));
    if (cached) {
      return cached;
    }
    return this.singleFlight(`version/${cacheKey(tenantId, version)}`, async () => {
      const record = await this.store.findVersion(tenantId, version);
      if (!record) {
        throw new DataKeyNotFoundError(tenantId, version);
      }
      return this.materialize(record);
    });
  }

  /** The master key id new data keys are wrapped with (and `rewrapAll` moves keys to). */
  activeMasterKeyId(): Promise<string> {
    return this.provider.activeKeyId();
  }

  /** Metadata of every version of the tenant, tombstones included. */
  async versions(tenantId: TenantId): Promise<DataKeyInfo[]> {
    return (await this.store.listVersions(tenantId)).map(info);
  }

  /**
   * Makes a new data key version the tenant's active one. Old versions still decrypt; re-encrypt
   * their ciphertexts (`runReencryption`), then `destroyVersion` them. Concurrent rotations of one
   * tenant make one new version, which both return.
   */
  async rotate(tenantId: TenantId): Promise<DataKeyInfo> {
    if (!this.createKeys) {
      throw new KeyringStateError('this keyring only uses distributed keys: rotate where the keys are owned');
    }
    const current = await this.store.findActive(tenantId);
    if (!current) {
      return info(await this.createFirst(tenantId));
    }
    const version = current.version + 1;
    const dataKey = randomBytes(DATA_KEY_BYTES);
    try {
      const { keyId, wrapped } = await this.provider.wrap(dataKey, { tenantId, keyVersion: version });
      if (
        await this.store.rotate(tenantId, current.version, {
          tenantId,
          version,
          masterKeyId: keyId,
          wrappedKey: wrapped,
        })
      ) {
        this.keys.set(cacheKey(tenantId, version), { tenantId, version, key: createSecretKey(dataKey) });
      }
    } finally {
      dataKey.fill(0);
    }
    this.activeVersions.delete(tenantId);
    const active = await this.store.findActive(tenantId);
    if (!active) {
      throw new DataKeyDestroyedError(tenantId, null);
    }
    this.activeVersions.set(tenantId, active.version);
    return info(active);
  }

  /**
   * Master key rotation: rewraps every live data key of every tenant that is not under the
   * provider's active master key. Ciphertexts are untouched (the data keys do not change). Safe
   * to run on several replicas and to re-run; `after` resumes from a previous run's cursor.
   * A key that fails (e.g. its master key is missing from the file) is reported and skipped.
   */
  async rewrapAll(
    options: {
      batchSize?: number;
      after?: DataKeyCursor | null;
      onProgress?: (progress: RewrapProgress) => void | Promise<void>;
      signal?: AbortSignal;
    } = {},
  ): Promise<RewrapResult> {
    const batchSize = options.batchSize ?? 100;
    const masterKeyId = await this.provider.activeKeyId();
    const result: RewrapResult = { masterKeyId, rewrapped: 0, failed: 0, cursor: options.after ?? null, failures: [] };
    while (!options.signal?.aborted) {
      const batch = await this.store.listNeedingRewrap(masterKeyId, result.cursor, batchSize);
      for (const record of batch) {
        try {
          if (await this.rewrap(record)) {
            result.rewrapped++;
          }
        } catch (error) {
          result.failed++;
          if (result.failures.length < 100) {
            const message = error instanceof Error ? error.message : String(error);
            result.failures.push({ tenantId: record.tenantId, version: record.version, error: message });
          }
        }
        result.cursor = { tenantId: record.tenantId, version: record.version };
      }
      if (batch.length > 0) {
        await options.onProgress?.({ rewrapped: result.rewrapped, failed: result.failed, cursor: result.cursor });
      }
      if (batch.length < batchSize) {
        break;
      }
    }
    return result;
  }

  /**
   * Crypto-shreds one retired version, once nothing is encrypted under it any more (the
   * re-encryption job is done). Refuses the active version, and a version retired so recently that
   * another replica may still be encrypting with it.
   */
  async destroyVersion(tenantId: TenantId, version: number): Promise<void> {
    const record = await this.store.findVersion(tenantId, version);
    if (!record) {
      throw new DataKeyNotFoundError(tenantId, version);
    }
    if (record.destroyedAt) {
      return;
    }
    if (!record.retiredAt) {
      throw new KeyringStateError(`data key v${version} of tenant ${tenantId} is active: rotate before destroying it`);
    }
    const safeAfter = record.retiredAt.getTime() + this.activeVersionTtlMs;
    if (this.now() < safeAfter) {
      throw new KeyringStateError(
        `data key v${version} of tenant ${tenantId} was retired less than ${this.activeVersionTtlMs} ms ago: other replicas may still encrypt with it; retry after ${new Date(safeAfter).toISOString()}`,
      );
    }
    await this.store.destroy(tenantId, [version]);
    this.keys.delete(cacheKey(tenantId, version));
  }

  /**
   * Crypto-shreds every data key of the tenant (offboarding, or erasure of all it held): every
   * ciphertext of the tenant becomes unrecoverable, and the tenant gets no new key afterwards.
   * Other replicas drop their cached keys within `cacheTtlMs`. Idempotent; returns how many live keys it destroyed.
   */
  async destroy(tenantId: TenantId): Promise<number> {
    const destroyed = await this.store.destroy(tenantId, 'all');
    this.evict(tenantId);
    return destroyed;
  }

  /** Destroys, then deletes the tenant's key rows, tombstones included: the last step of offboarding. */
  async purge(tenantId: TenantId): Promise<number> {
    await this.destroy(tenantId);
    return this.store.purge(tenantId);
  }

  /** Forgets cached keys of one tenant (or all). */
  evict(tenantId?: TenantId): void {
    if (tenantId === undefined) {
      this.keys.clear();
      this.activeVersions.clear();
      return;
    }
    this.keys.deleteWhere((key) => key.startsWith(`${tenantId}/`));
    this.activeVersions.delete(tenantId);
  }

  private async firstUse(tenantId: TenantId): Promise<DataKeyRecord> {
    if (this.createKeys) {
      return this.createFirst(tenantId);
    }
    if ((await this.store.findVersion(tenantId, 1))?.destroyedAt) {
      throw new DataKeyDestroyedError(tenantId, null);
    }
    throw new DataKeyNotFoundError(tenantId, null);
  }

  private async createFirst(tenantId: TenantId): Promise<DataKeyRecord> {
    if ((await this.store.findVersion(tenantId, 1))?.destroyedAt) {
      throw new DataKeyDestroyedError(tenantId, null);
    }
    const dataKey = randomBytes(DATA_KEY_BYTES);
    try {
      const { keyId, wrapped } = await this.provider.wrap(dataKey, { tenantId, keyVersion: 1 });
      await this.store.insertFirst({ tenantId, version: 1, masterKeyId: keyId, wrappedKey: wrapped });
    } finally {
      dataKey.fill(0);
    }
    // Whoever won a race, the stored active key is the one to use.
    const active = await this.store.findActive(tenantId);
    if (!active) {
      throw new DataKeyDestroyedError(tenantId, null);
    }
    return active;
  }

  private async materialize(record: DataKeyRecord): Promise<DataKey> {
    if (record.destroyedAt || !record.wrappedKey) {
      throw new DataKeyDestroyedError(record.tenantId, record.version);
    }
    const plain = await this.provider.unwrap(record.wrappedKey, record.masterKeyId, {
      tenantId: record.tenantId,
      keyVersion: record.version,
    });
    try {
      const key: DataKey = { tenantId: record.tenantId, version: record.version, key: createSecretKey(plain) };
      this.keys.set(cacheKey(record.tenantId, record.version), key);
      return key;
    } finally {
      plain.fill(0);
    }
  }

  private async rewrap(record: DataKeyRecord): Promise<boolean> {
    if (!record.wrappedKey) {
      return false;
    }
    const context = { tenantId: record.tenantId, keyVersion: record.version };
    const plain = await this.provider.unwrap(record.wrappedKey, record.masterKeyId, context);
    try {
      const { keyId, wrapped } = await this.provider.wrap(plain, context);
      return await this.store.replaceWrapping(record.tenantId, record.version, record.masterKeyId, {
        masterKeyId: keyId,
        wrappedKey: wrapped,
      });
    } finally {
      plain.fill(0);
    }
  }

  private singleFlight(id: string, work: () => Promise<DataKey>): Promise<DataKey> {
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = work().finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }
}

function cacheKey(tenantId: string, version: number): string {
  return `${tenantId}/${version}`;
}

function info(record: DataKeyRecord): DataKeyInfo {
  return {
    tenantId: record.tenantId,
    version: record.version,
    masterKeyId: record.masterKeyId,
    active: !record.retiredAt && !record.destroyedAt,
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
    destroyedAt: record.destroyedAt,
  };
}
