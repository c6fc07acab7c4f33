/**
 * Removing every row of one tenant from a service's schema (offboarding), without a list of tables
 * to keep up to date: the tables are those of the schema in the connection's search path that have
 * a `tenant_id` column, read from the catalog, so a table added later is covered by itself.
 */

/** Anything that runs SQL and returns the rows (a TypeORM EntityManager, a pg client wrapper). */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Runs `work` in a transaction bound to the tenant (e.g. `TenantDb.forTenant` of that tenant). */
export type TenantTransaction = <T>(work: (m: SqlRunner) => Promise<T>) => Promise<T>;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** The base tables of the current schema with a `tenant_id` column, by name, minus `except`. */
export async function tenantTables(m: SqlRunner, except: readonly string[] = []): Promise<string[]> {
  const rows = (await m.query(
    `SELECT c.relname AS name FROM pg_class c
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
  )) as Array<{ name: string }>;
  return rows.map((r) => r.name).filter((name) => !except.includes(name));
}

function table(name: string): string {
  if (!IDENT.test(name)) {
    throw new Error(`not a plain table name: ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}

/** How many rows of the tenant each table holds (tables with none are left out). */
export async function countTenantRows(
  m: SqlRunner,
  tenantId: string,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of tables) {
    const rows = (await m.query(`SELECT count(*)::int AS n FROM ${table(name)} WHERE tenant_id = $1`, [
      tenantId,
    ])) as Array<{ n: number }>;
    if (rows[0].n > 0) {
      counts[name] = rows[0].n;
    }
  }
  return counts;
}

/**
 * Deletes every row of the tenant from `tables`, in batches of `batch` rows, each batch its own
 * transaction (so a large tenant holds no long lock); returns the rows deleted per table (tables
 * with none are left out). Idempotent: a re-run deletes what is left.
 */
export async function deleteTenantRows(
  transaction: TenantTransaction,
  tenantId: string,
  tables: readonly string[],
  batch = 1000,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  // One transaction finds the tables that hold rows of the tenant; only those are deleted from.
  const present = await transaction(async (m) => {
    const found: string[] = [];
    for (const name of tables) {
      const rows = (await m.query(`SELECT EXISTS (SELECT 1 FROM ${table(name)} WHERE tenant_id = $1) AS e`, [
        tenantId,
      ])) as Array<{ e: boolean }>;
      if (rows[0].e) {
        found.push(name);
      }
    }
    return found;
  });
  for (const name of present) {
    const t = table(name);
    for (;;) {
      const rows = (await transaction((m) =>
        m.query(
          `WITH gone AS (DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE tenant_id = $1 LIMIT ${batch}) RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [tenantId],
        ),
      )) as Array<{ n: number }>;
      if (rows[0].n > 0) {
        counts[name] = (counts[name] ?? 0) + rows[0].n;
      }
      if (rows[0].n < batch) {
        break;
      }
    }
  }
  return counts;
}
