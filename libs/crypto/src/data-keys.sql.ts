import { tenantRlsSql } from '@custody/database';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export const DATA_KEYS_TABLE = 'data_keys';

/**
 * SQL for the wrapped data key table, for the owning service's migration: tenant-keyed (Citus
 * distributes it by `tenant_id`), under forced row-level security like every tenant table. At
 * most one active key per tenant is a constraint, not a convention; a destroyed key keeps its row
 * without key material so its version is never reused.
 */
export function dataKeysTableSql(schema?: string): string[] {
  if (schema !== undefined && !IDENT.test(schema)) {
    throw new Error('schema must be a plain lowercase identifier');
  }
  const table = schema ? `${schema}.${DATA_KEYS_TABLE}` : DATA_KEYS_TABLE;
  return [
    `CREATE TABLE ${table} (
      tenant_id uuid NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      master_key_id text NOT NULL,
      wrapped_key bytea,
      created_at timestamptz NOT NULL DEFAULT now(),
      retired_at timestamptz,
      destroyed_at timestamptz,
      PRIMARY KEY (tenant_id, version),
      CONSTRAINT data_keys_destroyed_have_no_key CHECK ((destroyed_at IS NULL) = (wrapped_key IS NOT NULL))
    )`,
    `CREATE UNIQUE INDEX data_keys_one_active ON ${table} (tenant_id) WHERE retired_at IS NULL AND destroyed_at IS NULL`,
    `CREATE INDEX data_keys_by_master_key ON ${table} (master_key_id) WHERE destroyed_at IS NULL`,
    ...tenantRlsSql(table),
  ];
}

/** Reverts `dataKeysTableSql` (a migration's `down`). */
export function dropDataKeysTableSql(schema?: string): string[] {
  if (schema !== undefined && !IDENT.test(schema)) {
    throw new Error('schema must be a plain lowercase identifier');
  }
  return [`DROP TABLE ${schema ? `${schema}.` : ''}${DATA_KEYS_TABLE}`];
}
