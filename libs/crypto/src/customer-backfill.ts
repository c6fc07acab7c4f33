import { tenantRlsSql } from '@custody/database';
import type { TenantId } from '@custody/database';
import type { CustomerIdentity } from './customer-identity';
import type { SqlQueryable, TenantTransactionRunner } from './sql-data-key-store';

/** Where a migration leaves the numbers it took out of a table, until the service moves them. */
export const CUSTOMER_NUMBER_BACKFILL_TABLE = 'customer_number_backfill';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function checkIdents(...names: string[]): void {
  for (const name of names) {
    if (!IDENT.test(name)) {
      throw new Error('table and column names must be plain lowercase identifiers');
    }
  }
}

/**
 * SQL for a migration that takes customers' numbers in clear out of tables: the holding table
 * (`tenantsFk`: its rows go with the tenant, for a schema with a tenants table), each table's
 * numbers copied there with the row's id, the clear columns dropped, then the holding table put
 * under forced row-level security (after the copy: the migration runs before the owner's policy
 * exists). The holding table is the only place the numbers are left in clear, until the service
 * moves them (`backfillCustomerRefs`) when it starts.
 */
export function moveClearNumbersSql(
  specs: ReadonlyArray<{ table: string; idColumn: string; clearColumn: string }>,
  options: { tenantsFk?: boolean } = {},
): string[] {
  const t = CUSTOMER_NUMBER_BACKFILL_TABLE;
  for (const spec of specs) {
    checkIdents(spec.table, spec.idColumn, spec.clearColumn);
  }
  return [
    `CREATE TABLE ${t} (
       tenant_id uuid NOT NULL${options.tenantsFk ? ' REFERENCES tenants(id) ON DELETE CASCADE' : ''},
       table_name text NOT NULL,
       row_id text NOT NULL,
       wa_id text NOT NULL,
       PRIMARY KEY (table_name, row_id)
     )`,
    `CREATE INDEX ${t}_tenant ON ${t} (tenant_id)`,
    ...specs.flatMap((spec) => [
      `INSERT INTO ${t} (tenant_id, table_name, row_id, wa_id)
         SELECT tenant_id, '${spec.table}', ${spec.idColumn}::text, ${spec.clearColumn} FROM ${spec.table}
          WHERE ${spec.clearColumn} IS NOT NULL
         ON CONFLICT DO NOTHING`,
      `ALTER TABLE ${spec.table} DROP COLUMN ${spec.clearColumn}`,
    ]),
    ...tenantRlsSql(t),
  ];
}

/** A table whose rows held a customer's number in clear, to give a reference (and a sealed copy). */
export interface CustomerBackfillSpec {
  table: string;
  /** The row's key column (compared as text). */
  idColumn: string;
  refColumn: string;
  /** Where the sealed number goes; none: the table keeps only the reference. */
  sealedColumn?: string;
}

export interface CustomerBackfillResult {
  moved: number;
  /** Rows whose tenant's keys are not available (yet): left for the next start. */
  skipped: number;
}

async function rows<T>(db: SqlQueryable, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, parameters);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * Moves the numbers a migration left in the holding table (`moveClearNumbersSql`): for each, the
 * customer's reference (and sealed number) computed with the tenant's keys and written to its row
 * (if it has none yet), and the holding row deleted. Batched; a tenant whose keys are not here yet
 * is skipped and retried on the next start. Does nothing when the schema has no holding table.
 */
export async function backfillCustomerRefs(
  db: TenantTransactionRunner,
  identity: CustomerIdentity,
  spec: CustomerBackfillSpec,
  batchSize = 500,
): Promise<CustomerBackfillResult> {
  checkIdents(spec.table, spec.idColumn, spec.refColumn, spec.sealedColumn ?? 'x');
  const t = CUSTOMER_NUMBER_BACKFILL_TABLE;
  const present = await db.forPlatform((m) =>
    rows(
      m,
      `SELECT 1 FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false)) AND table_name = $1`,
      [t],
    ),
  );
  const result: CustomerBackfillResult = { moved: 0, skipped: 0 };
  if (present.length === 0) {
    return result;
  }
  let after = '';
  for (;;) {
    const batch = await db.forPlatform((m) =>
      rows<{ row_id: string; tenant_id: string; wa_id: string }>(
        m,
        `SELECT row_id, tenant_id::text AS tenant_id, wa_id FROM ${t}
          WHERE table_name = $1 AND row_id > $2 ORDER BY row_id LIMIT $3`,
        [spec.table, after, batchSize],
      ),
    );
    for (const row of batch) {
      after = row.row_id;
      const tenantId = row.tenant_id as TenantId;
      let customer;
      try {
        customer = await identity.identify(tenantId, row.wa_id);
      } catch {
        result.skipped++;
        continue;
      }
      await db.forTenant(tenantId, async (m) => {
        await m.query(
          `UPDATE ${spec.table} SET ${spec.refColumn} = $2${spec.sealedColumn ? `, ${spec.sealedColumn} = $3` : ''}
            WHERE ${spec.idColumn}::text = $1 AND ${spec.refColumn} IS NULL`,
          [row.row_id, customer.ref, ...(spec.sealedColumn ? [customer.waIdCiphertext] : [])],
        );
        await m.query(`DELETE FROM ${t} WHERE table_name = $1 AND row_id = $2`, [spec.table, row.row_id]);
      });
      result.moved++;
    }
    if (batch.length < batchSize) {
      return result;
    }
  }
}

/**
 * Runs the backfill of some tables when a service starts, in the background, and again (backing
 * off) while rows are skipped because their tenant's keys have not arrived yet.
 */
export function backfillInBackground(
  db: TenantTransactionRunner,
  identity: CustomerIdentity,
  specs: readonly CustomerBackfillSpec[],
  log: { log(message: unknown): void; warn(message: unknown): void },
  options: { firstDelayMs?: number; attempts?: number } = {},
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let attempts = options.attempts ?? 10;
  const run = async (delayMs: number): Promise<void> => {
    let skipped = 0;
    try {
      for (const spec of specs) {
        const r = await backfillCustomerRefs(db, identity, spec);
        skipped += r.skipped;
        if (r.moved > 0 || r.skipped > 0) {
          log.log({ msg: 'customer numbers moved to references', table: spec.table, ...r });
        }
      }
    } catch (error) {
      log.warn({ msg: 'customer reference backfill failed; retrying', err: error });
      skipped = 1;
    }
    if (skipped > 0 && --attempts > 0) {
      timer = setTimeout(() => void run(Math.min(delayMs * 2, 10 * 60_000)), delayMs);
      timer.unref();
    }
  };
  timer = setTimeout(() => void run(30_000), options.firstDelayMs ?? 1_000);
  timer.unref();
  return { stop: () => clearTimeout(timer) };
}
