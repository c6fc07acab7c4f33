import { deleteTenantRows, SqlRunner, tenantTables } from './tenant-rows';

/** A fake database: tables of rows with a tenant_id, answering the helper's three statements. */
function fakeDb(tables: Record<string, string[]>) {
  const statements: string[] = [];
  const runner: SqlRunner = {
    query: (sql: string, params: unknown[] = []) => {
      statements.push(sql);
      const name = /FROM "([a-z_]+)"/.exec(sql)?.[1] ?? '';
      const tenant = params[0] as string;
      if (sql.includes('FROM pg_class')) {
        return Promise.resolve(Object.keys(tables).map((n) => ({ name: n })));
      }
      if (sql.startsWith('SELECT EXISTS')) {
        return Promise.resolve([{ e: tables[name].includes(tenant) }]);
      }
      const limit = Number(/LIMIT (\d+)/.exec(sql)?.[1]);
      let n = 0;
      tables[name] = tables[name].filter((t) => {
        const drop = t === tenant && n < limit;
        n += drop ? 1 : 0;
        return !drop;
      });
      return Promise.resolve([{ n }]);
    },
  };
  const transaction = <T>(work: (m: SqlRunner) => Promise<T>) => work(runner);
  return { runner, transaction, statements, tables };
}

describe('tenant rows', () => {
  it('lists the tables with a tenant_id, minus the excepted ones', async () => {
    const db = fakeDb({ a: [], b: [], offboardings: [] });
    expect(await tenantTables(db.runner, ['offboardings'])).toEqual(['a', 'b']);
  });

  it('deletes only the tenant’s rows, in batches, only from tables that hold some, and counts them', async () => {
    const db = fakeDb({ a: ['t1', 't2', 't1', 't1'], b: ['t2'], c: ['t1'] });
    expect(await deleteTenantRows(db.transaction, 't1', ['a', 'b', 'c'], 2)).toEqual({ a: 3, c: 1 });
    expect(db.tables).toEqual({ a: ['t2'], b: ['t2'], c: [] });
    expect(db.statements.filter((s) => s.includes('DELETE FROM "b"'))).toEqual([]);
    expect(await deleteTenantRows(db.transaction, 't1', ['a', 'b', 'c'], 2)).toEqual({});
  });

  it('refuses a table name that is not a plain identifier', async () => {
    const db = fakeDb({});
    await expect(deleteTenantRows(db.transaction, 't1', ['a"; DROP TABLE x; --'])).rejects.toThrow(/not a plain/);
  });
});
