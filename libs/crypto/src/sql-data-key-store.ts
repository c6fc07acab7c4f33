import type { TenantId } from '@custody/database';
import { DATA_KEYS_TABLE } from './data-keys.sql';
import { DataKeyCursor, DataKeyRecord, DataKeyStore, NewDataKey } from './data-key-store';
import type { ReceivedDataKeyStore } from './key-distribution';

/** Anything with `query(sql, params)`: a TypeORM EntityManager or QueryRunner, a pg Client or Pool. */
export interface SqlQueryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Runs work in a transaction with the tenant set for row-level security, or as platform work.
 * `TenantDb` from @custody/database has exactly this shape.
 */
export interface TenantTransactionRunner {
  forTenant<T>(tenantId: TenantId, work: (db: SqlQueryable) => Promise<T>): Promise<T>;
  forPlatform<T>(work: (db: SqlQueryable) => Promise<T>): Promise<T>;
}

interface DataKeyRow {
  tenant_id: string;
  version: number;
  master_key_id: string;
  wrapped_key: Buffer | null;
  created_at: Date;
  retired_at: Date | null;
  destroyed_at: Date | null;
}

const COLUMNS = 'tenant_id, version, master_key_id, wrapped_key, created_at, retired_at, destroyed_at';
const TABLE_NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

/**
 * TypeORM's `query()` answers an UPDATE or DELETE with `[rows, count]` and pg with a result
 * object; every statement here is a SELECT (writes are wrapped in a CTE), so rows are either the
 * array itself or `.rows`.
 */
async function select<T>(db: SqlQueryable, sql: string, parameters: unknown[]): Promise<T[]> {
  const result = await db.query(sql, parameters);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

function toRecord(row: DataKeyRow): DataKeyRecord {
  return {
    tenantId: row.tenant_id as TenantId,
    version: Number(row.version),
    masterKeyId: row.master_key_id,
    wrappedKey: row.wrapped_key,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    destroyedAt: row.destroyed_at,
  };
}

/**
 * The data key table over SQL. Each method is one transaction of its own, scoped to the tenant
 * (RLS admits only its rows) except the platform-wide scan of master rotation.
 */
export class SqlDataKeyStore implements DataKeyStore, ReceivedDataKeyStore {
  private readonly table: string;

  constructor(
    private readonly db: TenantTransactionRunner,
    options: { table?: string } = {},
  ) {
    this.table = options.table ?? DATA_KEYS_TABLE;
    if (!TABLE_NAME.test(this.table)) {
      throw new Error('table must be a plain lowercase identifier, optionally schema-qualified');
    }
  }

  async findActive(tenantId: TenantId): Promise<DataKeyRecord | null> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<DataKeyRow>(
        db,
        `SELECT ${COLUMNS} FROM ${this.table} WHERE tenant_id = $1 AND retired_at IS NULL AND destroyed_at IS NULL`,
        [tenantId],
      ),
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findVersion(tenantId: TenantId, version: number): Promise<DataKeyRecord | null> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<DataKeyRow>(db, `SELECT ${COLUMNS} FROM ${this.table} WHERE tenant_id = $1 AND version = $2`, [
        tenantId,
        version,
      ]),
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listVersions(tenantId: TenantId): Promise<DataKeyRecord[]> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<DataKeyRow>(db, `SELECT ${COLUMNS} FROM ${this.table} WHERE tenant_id = $1 ORDER BY version`, [tenantId]),
    );
    return rows.map(toRecord);
  }

  async insertFirst(key: NewDataKey): Promise<boolean> {
    const rows = await this.db.forTenant(key.tenantId, (db) =>
      select<{ version: number }>(
        db,
        `INSERT INTO ${this.table} (tenant_id, version, master_key_id, wrapped_key) VALUES ($1, 1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING version`,
        [key.tenantId, key.masterKeyId, key.wrappedKey],
      ),
    );
    return rows.length === 1;
  }

  rotate(tenantId: TenantId, expectedActiveVersion: number, next: NewDataKey): Promise<boolean> {
    return this.db.forTenant(tenantId, async (db) => {
      // The row lock serializes racing rotations: the loser re-checks, finds it retired, and stops.
      const retired = await select<{ version: number }>(
        db,
        `WITH retired AS (
           UPDATE ${this.table} SET retired_at = now()
            WHERE tenant_id = $1 AND version = $2 AND retired_at IS NULL AND destroyed_at IS NULL
           RETURNING version
         ) SELECT version FROM retired`,
        [tenantId, expectedActiveVersion],
      );
      if (retired.length === 0) {
        return false;
      }
      await select(
        db,
        `INSERT INTO ${this.table} (tenant_id, version, master_key_id, wrapped_key) VALUES ($1, $2, $3, $4) RETURNING version`,
        [tenantId, next.version, next.masterKeyId, next.wrappedKey],
      );
      return true;
    });
  }

  async replaceWrapping(
    tenantId: TenantId,
    version: number,
    expectedMasterKeyId: string,
    wrapping: { masterKeyId: string; wrappedKey: Buffer },
  ): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ version: number }>(
        db,
        `WITH rewrapped AS (
           UPDATE ${this.table} SET master_key_id = $4, wrapped_key = $5
            WHERE tenant_id = $1 AND version = $2 AND master_key_id = $3 AND destroyed_at IS NULL
           RETURNING version
         ) SELECT version FROM rewrapped`,
        [tenantId, version, expectedMasterKeyId, wrapping.masterKeyId, wrapping.wrappedKey],
      ),
    );
    return rows.length === 1;
  }

  async listNeedingRewrap(masterKeyId: string, after: DataKeyCursor | null, limit: number): Promise<DataKeyRecord[]> {
    const rows = await this.db.forPlatform((db) =>
      after
        ? select<DataKeyRow>(
            db,
            `SELECT ${COLUMNS} FROM ${this.table}
              WHERE master_key_id <> $1 AND destroyed_at IS NULL AND (tenant_id, version) > ($2::uuid, $3::integer)
              ORDER BY tenant_id, version LIMIT $4`,
            [masterKeyId, after.tenantId, after.version, limit],
          )
        : select<DataKeyRow>(
            db,
            `SELECT ${COLUMNS} FROM ${this.table}
              WHERE master_key_id <> $1 AND destroyed_at IS NULL ORDER BY tenant_id, version LIMIT $2`,
            [masterKeyId, limit],
          ),
    );
    return rows.map(toRecord);
  }

  async destroy(tenantId: TenantId, versions: readonly number[] | 'all'): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ version: number }>(
        db,
        `WITH destroyed AS (
           UPDATE ${this.table}
              SET wrapped_key = NULL, destroyed_at = now(), retired_at = coalesce(retired_at, now())
            WHERE tenant_id = $1 AND destroyed_at IS NULL AND ($2::integer[] IS NULL OR version = ANY($2::integer[]))
           RETURNING version
         ) SELECT version FROM destroyed`,
        [tenantId, versions === 'all' ? null : [...versions]],
      ),
    );
    return rows.length;
  }

  async purge(tenantId: TenantId): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (db) =>
      select<{ version: number }>(
        db,
        `WITH purged AS (DELETE FROM ${this.table} WHERE tenant_id = $1 RETURNING version) SELECT version FROM purged`,
        [tenantId],
      ),
    );
    return rows.length;
  }

  /** A receiving service's copy of the tenant's keys becomes exactly `records`, in one transaction. */
  replaceAll(tenantId: TenantId, records: readonly DataKeyRecord[]): Promise<void> {
    return this.db.forTenant(tenantId, async (db) => {
      await select(
        db,
        `WITH gone AS (DELETE FROM ${this.table} WHERE tenant_id = $1 RETURNING 1) SELECT count(*) FROM gone`,
        [tenantId],
      );
      if (records.length === 0) {
        return;
      }
      await select(
        db,
        `WITH ins AS (
           INSERT INTO ${this.table} (tenant_id, version, master_key_id, wrapped_key, created_at, retired_at, destroyed_at)
           SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::bytea[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
           RETURNING 1)
         SELECT count(*) FROM ins`,
        [
          tenantId,
          records.map((r) => r.version),
          records.map((r) => r.masterKeyId),
          records.map((r) => r.wrappedKey),
          records.map((r) => r.createdAt),
          records.map((r) => r.retiredAt),
          records.map((r) => r.destroyedAt),
        ],
      );
    });
  }
}
