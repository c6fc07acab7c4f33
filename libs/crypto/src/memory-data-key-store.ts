import type { TenantId } from '@custody/database';
import { DataKeyCursor, DataKeyRecord, DataKeyStore, NewDataKey } from './data-key-store';
import type { ReceivedDataKeyStore } from './key-distribution';

/**
 * The data key store in memory, with the SQL store's semantics: for unit tests, benchmarks and
 * single-process tools. Nothing survives a restart, so never for real data.
 */
export class MemoryDataKeyStore implements DataKeyStore, ReceivedDataKeyStore {
  private readonly rows = new Map<string, DataKeyRecord>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  private static id(tenantId: string, version: number): string {
    return `${tenantId}/${version}`;
  }

  private static copy(record: DataKeyRecord): DataKeyRecord {
    return { ...record, wrappedKey: record.wrappedKey ? Buffer.from(record.wrappedKey) : null };
  }

  private ofTenant(tenantId: string): DataKeyRecord[] {
    return [...this.rows.values()].filter((r) => r.tenantId === tenantId).sort((a, b) => a.version - b.version);
  }

  private insert(key: NewDataKey): void {
    this.rows.set(MemoryDataKeyStore.id(key.tenantId, key.version), {
      tenantId: key.tenantId,
      version: key.version,
      masterKeyId: key.masterKeyId,
      wrappedKey: Buffer.from(key.wrappedKey),
      createdAt: this.now(),
      retiredAt: null,
      destroyedAt: null,
    });
  }

  findActive(tenantId: TenantId): Promise<DataKeyRecord | null> {
    const active = this.ofTenant(tenantId).find((r) => !r.retiredAt && !r.destroyedAt);
    return Promise.resolve(active ? MemoryDataKeyStore.copy(active) : null);
  }

  findVersion(tenantId: TenantId, version: number): Promise<DataKeyRecord | null> {
    const row = this.rows.get(MemoryDataKeyStore.id(tenantId, version));
    return Promise.resolve(row ? MemoryDataKeyStore.copy(row) : null);
  }

  listVersions(tenantId: TenantId): Promise<DataKeyRecord[]> {
    return Promise.resolve(this.ofTenant(tenantId).map(MemoryDataKeyStore.copy));
  }

  insertFirst(key: NewDataKey): Promise<boolean> {
    if (
      this.rows.has(MemoryDataKeyStore.id(key.tenantId, 1)) ||
      this.ofTenant(key.tenantId).some((r) => !r.retiredAt && !r.destroyedAt)
    ) {
      return Promise.resolve(false);
    }
    this.insert({ ...key, version: 1 });
    return Promise.resolve(true);
  }

  rotate(tenantId: TenantId, expectedActiveVersion: number, next: NewDataKey): Promise<boolean> {
    const current = this.rows.get(MemoryDataKeyStore.id(tenantId, expectedActiveVersion));
    if (!current || current.retiredAt || current.destroyedAt) {
      return Promise.resolve(false);
    }
    if (this.rows.has(MemoryDataKeyStore.id(tenantId, next.version))) {
      return Promise.reject(new Error(`duplicate key: data key v${next.version} of tenant ${tenantId} exists`));
    }
    current.retiredAt = this.now();
    this.insert(next);
    return Promise.resolve(true);
  }

  replaceWrapping(
    tenantId: TenantId,
    version: number,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean> {
    const row = this.rows.get(MemoryDataKeyStore.id(tenantId, version));
    if (!row || row.destroyedAt || row.masterKeyId !== expectedMasterKeyId) {
      return Promise.resolve(false);
    }
    row.masterKeyId = wrapping.masterKeyId;
    row.wrappedKey = Buffer.from(wrapping.wrappedKey);
    return Promise.resolve(true);
  }

  listNeedingRewrap(masterKeyId: string, after: DataKeyCursor | null, limit: number): Promise<DataKeyRecord[]> {
    const rows = [...this.rows.values()]
      .filter((r) => r.masterKeyId !== masterKeyId && !r.destroyedAt)
      .sort((a, b) => (a.tenantId === b.tenantId ? a.version - b.version : a.tenantId < b.tenantId ? -1 : 1))
      .filter(
        (r) => !after || r.tenantId > after.tenantId || (r.tenantId === after.tenantId && r.version > after.version),
      );
    return Promise.resolve(rows.slice(0, limit).map(MemoryDataKeyStore.copy));
  }

  destroy(tenantId: TenantId, versions: readonly number[] | 'all'): Promise<number> {
    let destroyed = 0;
    for (const row of this.ofTenant(tenantId)) {
      if (!row.destroyedAt && (versions === 'all' || versions.includes(row.version))) {
        row.wrappedKey?.fill(0);
        row.wrappedKey = null;
        row.destroyedAt = this.now();
        row.retiredAt ??= row.destroyedAt;
        destroyed++;
      }
    }
    return Promise.resolve(destroyed);
  }

  purge(tenantId: TenantId): Promise<number> {
    const rows = this.ofTenant(tenantId);
    rows.forEach((r) => this.rows.delete(MemoryDataKeyStore.id(r.tenantId, r.version)));
    return Promise.resolve(rows.length);
  }

  replaceAll(tenantId: TenantId, records: readonly DataKeyRecord[]): Promise<void> {
    for (const row of this.ofTenant(tenantId)) {
      this.rows.delete(MemoryDataKeyStore.id(row.tenantId, row.version));
    }
    for (const r of records) {
      this.rows.set(MemoryDataKeyStore.id(tenantId, r.version), MemoryDataKeyStore.copy({ ...r, tenantId }));
    }
    return Promise.resolve();
  }
}
