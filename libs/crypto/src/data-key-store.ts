import type { TenantId } from '@custody/database';

/** A tenant's data key as stored: only ever wrapped by a master key. */
export interface DataKeyRecord {
  tenantId: TenantId;
  /** 1, 2, 3, … per tenant; the envelope of every ciphertext names it. */
  version: number;
  /** The master key (version) that wrapped it. */
  masterKeyId: string;
  /** Null once destroyed: the row stays as a tombstone so the version is never reused. */
  wrappedKey: Buffer | null;
  createdAt: Date;
  /** Set when a newer version became active: still decrypts, no longer encrypts. */
  retiredAt: Date | null;
  /** Set when crypto-shredded. */
  destroyedAt: Date | null;
}

export interface NewDataKey {
  tenantId: TenantId;
  version: number;
  masterKeyId: string;
  wrappedKey: Buffer;
}

/** Keyset position of the platform-wide scan in master rotation. */
export interface DataKeyCursor {
  tenantId: string;
  version: number;
}

/**
 * Storage of wrapped data keys, whatever the database. Every write is conditional, so replicas
 * racing on first use, rotation or rewrap cannot leave two active keys or lose a wrapping.
 * `SqlDataKeyStore` implements it over the table of `dataKeysTableSql()`; `MemoryDataKeyStore` in memory.
 */
export interface DataKeyStore {
  /** The tenant's active key: not retired, not destroyed (at most one). */
  findActive(tenantId: TenantId): Promise<DataKeyRecord | null>;
  findVersion(tenantId: TenantId, version: number): Promise<DataKeyRecord | null>;
  /** All versions, tombstones included, oldest first. */
  listVersions(tenantId: TenantId): Promise<DataKeyRecord[]>;
  /** Inserts version 1. False when the tenant already has a version 1 (a concurrent first use won, or it was destroyed). */
  insertFirst(key: NewDataKey): Promise<boolean>;
  /** Retires `expectedActiveVersion` and inserts `next`, atomically. False when that version is no longer the active one. */
  rotate(tenantId: TenantId, expectedActiveVersion: number, next: NewDataKey): Promise<boolean>;
  /** Replaces a live key's wrapping if it is still wrapped under `expectedMasterKeyId`. */
  replaceWrapping(
    tenantId: TenantId,
    version: number,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean>;
  /** Live keys of every tenant not wrapped under `masterKeyId`, ordered by (tenant, version), after the cursor. */
  listNeedingRewrap(masterKeyId: string, after: DataKeyCursor | null, limit: number): Promise<DataKeyRecord[]>;
  /** Erases the wrapped key of the given versions (or all) and marks them destroyed. Returns how many were live. */
  destroy(tenantId: TenantId, versions: readonly number[] | 'all'): Promise<number>;
  /** Deletes the tenant's rows, tombstones included (offboarding, after destroy). Returns how many. */
  purge(tenantId: TenantId): Promise<number>;
}
