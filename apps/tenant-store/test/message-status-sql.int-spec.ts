import { Client } from 'pg';
import { CURRENT_STATUS_SQL, currentStatus, NetworkStatus } from '../src/services/message-status';

const ALL: NetworkStatus[] = ['sent', 'delivered', 'read', 'failed'];

/**
 * The statements that store statuses compute a message's status in SQL; it must be the same rule
 * as `currentStatus`, for every set of reported statuses (order and duplicates do not matter to it).
 */
describe('CURRENT_STATUS_SQL (real PostgreSQL)', () => {
  const db = new Client({
    connectionString: process.env.TENANT_STORE_DATABASE_URL || process.env.DATABASE_URL,
  });

  beforeAll(() => db.connect());
  afterAll(() => db.end());

  it('agrees with currentStatus on every combination of statuses, with duplicates', async () => {
    const cases: NetworkStatus[][] = [];
    for (let mask = 1; mask < 1 << ALL.length; mask += 1) {
      const set = ALL.filter((_, i) => mask & (1 << i));
      cases.push(set, [...set, ...set].reverse());
    }
    const { rows } = await db.query<{ n: number; status: string }>(
      `SELECT c.n, ${CURRENT_STATUS_SQL} AS status
         FROM unnest($1::int[], $2::text[]) AS ms(n, status) JOIN (SELECT DISTINCT unnest($1::int[]) AS n) c USING (n)
        GROUP BY c.n ORDER BY c.n`,
      [cases.flatMap((set, n) => set.map(() => n)), cases.flat()],
    );
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      expect({ statuses: cases[row.n], status: row.status }).toEqual({
        statuses: cases[row.n],
        status: currentStatus(cases[row.n]),
      });
    }
    // The rule is not trivial: these are the cases a broken expression would get wrong.
    expect(rows.map((r) => r.status)).toEqual(expect.arrayContaining(['sent', 'delivered', 'read', 'failed']));
  });
});
