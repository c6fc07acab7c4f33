import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { tenantRlsSql } from '@custody/database';
import type { TenantId } from '@custody/database';
import { DataKeyDestroyedError, DataKeyNotFoundError, KeyringStateError } from './errors';
import type { KeyContext, KeyProvider } from './key-provider';
import { LruCache } from './lru-cache';
import type { SqlQueryable, TenantTransactionRunner } from './sql-data-key-store';

/**
 * The key context a tenant's customer index key is wrapped under. Data key versions start at 1
 * (a CHECK of the data key table), so version 0 is never a data key: a data key's wrapping does
 * not unwrap as the index key, nor the other way round.
 */
export function customerIndexKeyContext(tenantId: string): KeyContext {
  return { tenantId, keyVersion: 0 };
}

/** A tenant's customer index key as stored: only ever wrapped by a master key. */
export interface CustomerIndexKeyRecord {
  tenantId: TenantId;
  masterKeyId: string;
  /** Null once destroyed (offboarding): the row stays so no new key is ever made for the tenant. */
  wrappedKey: Buffer | null;
  createdAt: Date;
  destroyedAt: Date | null;
}

/** Storage of wrapped index keys, one per tenant; every write conditional. */
export interface CustomerIndexKeyStore {
  find(tenantId: TenantId): Promise<CustomerIndexKeyRecord | null>;
  /** Inserts the tenant's key unless it has one (live or destroyed). False when it had one. */
  insert(tenantId: TenantId, masterKeyId: string, wrappedKey: Buffer): Promise<boolean>;
  /** Receivers: makes the tenant's row exactly this one (null: no row). */
  replace(tenantId: TenantId, record: CustomerIndexKeyRecord | null): Promise<void>;
  /** Live keys of every tenant not wrapped under `masterKeyId`, by tenant id, after the cursor. */
  listNeedingRewrap(masterKeyId: string, afterTenant: string | null, limit: number): Promise<CustomerIndexKeyRecord[]>;
  /** Replaces the wrapping if the key is still wrapped under `expectedMasterKeyId`. */
  replaceWrapping(
    tenantId: TenantId,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean>;
  /** Erases the wrapped key and marks it destroyed. Returns 1 if it was live. */
  destroy(tenantId: TenantId): Promise<number>;
  /** Deletes the tenant's row, tombstone included. Returns how many. */
  purge(tenantId: TenantId): Promise<number>;
}

export const CUSTOMER_INDEX_KEYS_TABLE = 'customer_index_keys';
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** SQL for the index key table (one row per tenant, tenant-keyed, forced RLS), for a migration. */
export function customerIndexKeysTableSql(schema?: string): string[] {
  if (schema !== undefined && !IDENT.test(schema)) {
    throw new Error('schema must be a plain lowercase identifier');
  }
  const table = schema ? `${schema}.${CUSTOMER_INDEX_KEYS_TABLE}` : CUSTOMER_INDEX_KEYS_TABLE;
  return [
    `CREATE TABLE ${table} (
      tenant_id uuid PRIMARY KEY,
      master_key_id text NOT NULL,
      wrapped_key bytea,
      created_at timestamptz NOT NULL DEFAULT now(),
      destroyed_at timestamptz,
      CONSTRAINT customer_index_keys_destroyed_have_no_key CHECK ((destroyed_at IS NULL) = (wrapped_key IS NOT NULL))
    )`,
    ...tenantRlsSql(table),
  ];
}

export function dropCustomerIndexKeysTableSql(schema?: string): string[] {
  if (schema !== undefined && !IDENT.test(schema)) {
    throw new Error('schema must be a plain lowercase identifier');
  }
  return [`DROP TABLE ${schema ? `${schema}.` : ''}${CUSTOMER_INDEX_KEYS_TABLE}`];
}

interface Row {
  tenant_id: string;
  master_key_id: string;
  wrapped_key: Buffer | null;
  created_at: Date;
  destroyed_at: Date | null;
}

const COLUMNS = 'tenant_id, master_key_id, wrapped_key, created_at, destroyed_at';

async function select<T>(db: SqlQueryable, sql: string, parameters: unknown[]): Promise<T[]> {
  const result = await db.query(sql, parameters);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

function toRecord(row: Row): CustomerIndexKeyRecord {
  return {
    tenantId: row.tenant_id as TenantId,
    masterKeyId: row.master_key_id,
    wrappedKey: row.wrapped_key,
    createdAt: row.created_at,
    destroyedAt: row.destroyed_at,
  };
}

/** The index key table over SQL; each method one tenant-scoped transaction (the rewrap scan platform-wide). */
export class SqlCustomerIndexKeyStore implements CustomerIndexKeyStore {
  private readonly table: string;

  constructor(
    private readonly db: TenantTransactionRunner,
    options: { table?: string } = {},
  ) {
    this.table = options.table ?? CUSTOMER_INDEX_KEYS_TABLE;
    if (!/^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/.test(this.table)) {
      throw new Error('table must be a plain lowercase identifier, optionally schema-qualified');
    }
  }

  async find(tenantId: TenantId): Promise<CustomerIndexKeyRecord | null> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<Row>(db, `SELECT ${COLUMNS} FROM ${this.table} WHERE tenant_id = $1`, [tenantId]),
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async insert(tenantId: TenantId, masterKeyId: string, wrappedKey: Buffer): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ tenant_id: string }>(
        db,
        `INSERT INTO ${this.table} (tenant_id, master_key_id, wrapped_key) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING tenant_id`,
        [tenantId, masterKeyId, wrappedKey],
      ),
    );
    return rows.length === 1;
  }

  replace(tenantId: TenantId, record: CustomerIndexKeyRecord | null): Promise<void> {
    return this.db.forTenant(tenantId, async (db) => {
      if (!record) {
        await select(db, `WITH gone AS (DELETE FROM ${this.table} WHERE tenant_id = $1 RETURNING 1) SELECT 1`, [
          tenantId,
        ]);
        return;
      }
      await select(
        db,
        `WITH up AS (
           INSERT INTO ${this.table} (tenant_id, master_key_id, wrapped_key, created_at, destroyed_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id) DO UPDATE SET master_key_id = EXCLUDED.master_key_id,
             wrapped_key = EXCLUDED.wrapped_key, created_at = EXCLUDED.created_at, destroyed_at = EXCLUDED.destroyed_at
           RETURNING 1) SELECT 1`,
        [tenantId, record.masterKeyId, record.wrappedKey, record.createdAt, record.destroyedAt],
      );
    });
  }

  async listNeedingRewrap(
    masterKeyId: string,
    afterTenant: string | null,
    limit: number,
  ): Promise<CustomerIndexKeyRecord[]> {
    const rows = await this.db.forPlatform((db) =>
      select<Row>(
        db,
        `SELECT ${COLUMNS} FROM ${this.table}
          WHERE destroyed_at IS NULL AND master_key_id <> $1 AND ($2::uuid IS NULL OR tenant_id > $2::uuid)
          ORDER BY tenant_id LIMIT $3`,
        [masterKeyId, afterTenant, limit],
      ),
    );
    return rows.map(toRecord);
  }

  async replaceWrapping(
    tenantId: TenantId,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ tenant_id: string }>(
        db,
        `WITH up AS (
           UPDATE ${this.table} SET master_key_id = $3, wrapped_key = $4
            WHERE tenant_id = $1 AND master_key_id = $2 AND destroyed_at IS NULL RETURNING tenant_id)
         SELECT tenant_id FROM up`,
        [tenantId, expectedMasterKeyId, wrapping.masterKeyId, wrapping.wrappedKey],
      ),
    );
    return rows.length === 1;
  }

  async destroy(tenantId: TenantId): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ tenant_id: string }>(
        db,
        `WITH up AS (
           UPDATE ${this.table} SET wrapped_key = NULL, destroyed_at = now()
            WHERE tenant_id = $1 AND destroyed_at IS NULL RETURNING tenant_id)
         SELECT tenant_id FROM up`,
        [tenantId],
      ),
    );
    return rows.length;
  }

  async purge(tenantId: TenantId): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ tenant_id: string }>(
        db,
        `WITH gone AS (DELETE FROM ${this.table} WHERE tenant_id = $1 RETURNING tenant_id) SELECT tenant_id FROM gone`,
        [tenantId],
      ),
    );
    return rows.length;
  }
}

/** The index key store in memory, with the SQL store's semantics: for unit tests and benchmarks. */
export class MemoryCustomerIndexKeyStore implements CustomerIndexKeyStore {
  private readonly rows = new Map<string, CustomerIndexKeyRecord>();

  private static copy(r: CustomerIndexKeyRecord): CustomerIndexKeyRecord {
    return { ...r, wrappedKey: r.wrappedKey ? Buffer.from(r.wrappedKey) : null };
  }

  find(tenantId: TenantId): Promise<CustomerIndexKeyRecord | null> {
    const row = this.rows.get(tenantId);
    return Promise.resolve(row ? MemoryCustomerIndexKeyStore.copy(row) : null);
  }

  insert(tenantId: TenantId, masterKeyId: string, wrappedKey: Buffer): Promise<boolean> {
    if (this.rows.has(tenantId)) {
      return Promise.resolve(false);
    }
    this.rows.set(tenantId, {
      tenantId,
      masterKeyId,
      wrappedKey: Buffer.from(wrappedKey),
      createdAt: new Date(),
      destroyedAt: null,
    });
    return Promise.resolve(true);
  }

  replace(tenantId: TenantId, record: CustomerIndexKeyRecord | null): Promise<void> {
    if (record) {
      this.rows.set(tenantId, MemoryCustomerIndexKeyStore.copy({ ...record, tenantId }));
    } else {
      this.rows.delete(tenantId);
    }
    return Promise.resolve();
  }

  listNeedingRewrap(masterKeyId: string, afterTenant: string | null, limit: number): Promise<CustomerIndexKeyRecord[]> {
    return Promise.resolve(
      [...this.rows.values()]
        .filter(
          (r) => !r.destroyedAt && r.masterKeyId !== masterKeyId && (afterTenant === null || r.tenantId > afterTenant),
        )
        .sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1))
        .slice(0, limit)
        .map(MemoryCustomerIndexKeyStore.copy),
    );
  }

  replaceWrapping(
    tenantId: TenantId,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean> {
    const row = this.rows.get(tenantId);
    if (!row || row.destroyedAt || row.masterKeyId !== expectedMasterKeyId) {
      return Promise.resolve(false);
    }
    this.rows.set(tenantId, {
      ...row,
      masterKeyId: wrapping.masterKeyId,
      wrappedKey: Buffer.from(wrapping.wrappedKey),
    });
    return Promise.resolve(true);
  }

  destroy(tenantId: TenantId): Promise<number> {
    const row = this.rows.get(tenantId);
    if (!row || row.destroyedAt) {
      return Promise.resolve(0);
    }
    this.rows.set(tenantId, { ...row, wrappedKey: null, destroyedAt: new Date() });
    return Promise.resolve(1);
  }

  purge(tenantId: TenantId): Promise<number> {
    return Promise.resolve(this.rows.delete(tenantId) ? 1 : 0);
  }
}

/** A tenant's index key as it travels on the tenants topic: wrapped by the master key, or a tombstone. */
export interface DistributedCustomerIndexKey {
  masterKeyId: string;
  /** base64 of the wrapped key; absent once destroyed. */
  wrappedKey?: string;
  createdAt: string;
  destroyedAt?: string;
}

export function distributeCustomerIndexKey(record: CustomerIndexKeyRecord): DistributedCustomerIndexKey {
  return {
    masterKeyId: record.masterKeyId,
    ...(record.wrappedKey && !record.destroyedAt ? { wrappedKey: record.wrappedKey.toString('base64') } : {}),
    createdAt: record.createdAt.toISOString(),
    ...(record.destroyedAt ? { destroyedAt: record.destroyedAt.toISOString() } : {}),
  };
}

export function receivedCustomerIndexKey(tenantId: TenantId, key: DistributedCustomerIndexKey): CustomerIndexKeyRecord {
  const destroyed = key.destroyedAt !== undefined || key.wrappedKey === undefined;
  return {
    tenantId,
    masterKeyId: key.masterKeyId,
    wrappedKey: destroyed ? null : Buffer.from(key.wrappedKey!, 'base64'),
    createdAt: new Date(key.createdAt),
    destroyedAt: destroyed ? new Date(key.destroyedAt ?? key.createdAt) : null,
  };
}

export interface CustomerIndexKeysOptions {
  /** Whether this service makes a tenant's key on first use (the owner, tenant-store) or only uses distributed ones. Default true. */
  createKeys?: boolean;
  /** How long an unwrapped key stays cached (also how long a key destroyed elsewhere may keep working here). Default 5 minutes. */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
  now?: () => number;
}

const INDEX_KEY_BYTES = 32;

/**
 * Per-tenant customer index keys: the HMAC keys of customers' blind indexes (`CustomerIdentity`).
 * One per tenant, never rotated (every stored reference and conversation id derives from it), made
 * by its owner on first use, wrapped by the master key, rewrapped with the master key, and
 * destroyed with the tenant. Unwrapped keys are cached, so the key provider is off the hot path.
 */
export class CustomerIndexKeys {
  private readonly cache: LruCache<string, KeyObject>;
  private readonly inFlight = new Map<string, Promise<KeyObject>>();
  private readonly createKeys: boolean;

  constructor(
    private readonly store: CustomerIndexKeyStore,
    private readonly provider: KeyProvider,
    options: CustomerIndexKeysOptions = {},
  ) {
    this.createKeys = options.createKeys ?? true;
    this.cache = new LruCache(
      options.cacheMaxEntries ?? 10_000,
      options.cacheTtlMs ?? 5 * 60_000,
      options.now ?? Date.now,
    );
  }

  /**
   * The tenant's index key. Throws DataKeyDestroyedError (version null) once the tenant's keys are
   * destroyed, and DataKeyNotFoundError on a service that only uses distributed keys and has none.
   */
  async key(tenantId: TenantId): Promise<KeyObject> {
    const cached = this.cache.get(tenantId);
    if (cached) {
      return cached;
    }
    let pending = this.inFlight.get(tenantId);
    if (!pending) {
      pending = this.load(tenantId).finally(() => this.inFlight.delete(tenantId));
      this.inFlight.set(tenantId, pending);
    }
    return pending;
  }

  /** Makes the tenant's key if it has none (the owner, before the tenant is first published). */
  async ensure(tenantId: TenantId): Promise<void> {
    await this.key(tenantId);
  }

  /** The stored record (wrapped), for distribution. */
  record(tenantId: TenantId): Promise<CustomerIndexKeyRecord | null> {
    return this.store.find(tenantId);
  }

  /** Where a distributed key arrives: `undefined` changes nothing, `null` means the tenant is gone. */
  async receive(tenantId: TenantId, key: DistributedCustomerIndexKey | null | undefined): Promise<void> {
    if (key === undefined) {
      return;
    }
    await this.store.replace(tenantId, key === null ? null : receivedCustomerIndexKey(tenantId, key));
    this.evict(tenantId);
  }

  /** Crypto-shreds the tenant's index key (offboarding); idempotent. */
  async destroy(tenantId: TenantId): Promise<number> {
    const n = await this.store.destroy(tenantId);
    this.evict(tenantId);
    return n;
  }

  /** Destroys, then deletes the row (the last step of offboarding). */
  async purge(tenantId: TenantId): Promise<number> {
    await this.destroy(tenantId);
    return this.store.purge(tenantId);
  }

  /** Master key rotation: rewraps every live index key not under the provider's active master key. */
  async rewrapAll(options: { batchSize?: number } = {}): Promise<{ rewrapped: number; failed: number }> {
    const batchSize = options.batchSize ?? 100;
    const masterKeyId = await this.provider.activeKeyId();
    let after: string | null = null;
    let rewrapped = 0;
    let failed = 0;
    for (;;) {
      const batch = await this.store.listNeedingRewrap(masterKeyId, after, batchSize);
      for (const record of batch) {
        after = record.tenantId;
        try {
          const context = customerIndexKeyContext(record.tenantId);
          const plain = await this.provider.unwrap(record.wrappedKey!, record.masterKeyId, context);
          try {
            const { keyId, wrapped } = await this.provider.wrap(plain, context);
            if (
              await this.store.replaceWrapping(record.tenantId, record.masterKeyId, {
                masterKeyId: keyId,
                wrappedKey: wrapped,
              })
            ) {
              rewrapped++;
            }
          } finally {
            plain.fill(0);
          }
        } catch {
          failed++;
        }
      }
      if (batch.length < batchSize) {
        return { rewrapped, failed };
      }
    }
  }

  evict(tenantId?: TenantId): void {
    if (tenantId === undefined) {
      this.cache.clear();
    } else {
      this.cache.delete(tenantId);
    }
  }

  private async load(tenantId: TenantId): Promise<KeyObject> {
    let record = await this.store.find(tenantId);
    if (!record) {
      if (!this.createKeys) {
        throw new DataKeyNotFoundError(tenantId, null);
      }
      const plain = randomBytes(INDEX_KEY_BYTES);
      try {
        const { keyId, wrapped } = await this.provider.wrap(plain, customerIndexKeyContext(tenantId));
        await this.store.insert(tenantId, keyId, wrapped);
      } finally {
        plain.fill(0);
      }
      // Whoever won a race, the stored key is the one.
      record = await this.store.find(tenantId);
      if (!record) {
        throw new KeyringStateError(`the customer index key of tenant ${tenantId} vanished while it was made`);
      }
    }
    if (record.destroyedAt || !record.wrappedKey) {
      throw new DataKeyDestroyedError(tenantId, null);
    }
    const plain = await this.provider.unwrap(record.wrappedKey, record.masterKeyId, customerIndexKeyContext(tenantId));
    try {
      const key = createSecretKey(plain);
      this.cache.set(tenantId, key);
      return key;
    } finally {
      plain.fill(0);
    }
  }
}
