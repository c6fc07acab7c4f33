// npm run bench:binding — what the tenant binding of row-level security costs a tenant
// transaction, against the real PostgreSQL, like for like in one run:
//   setting: `BEGIN; SELECT set_config('custody.tenant_id', …)` and policies that compare with
//            that setting (what Custody did before; the app role could change the setting);
//   binding: `BEGIN; SELECT <schema>.custody_enter_tenant(…)` and policies that compare with
//            `(SELECT <schema>.custody_tenant())` (libs/database rls.ts, what every service does).
// Same table shape, same rows, same statements (a read, an insert, an update per transaction, as
// a store batch of the message path does), same pool, same application role; the two arms
// alternate in rounds. Two shapes: single-row statements (the binding's worst case: its cost is
// per transaction and per statement, not per row) and statements of 100 rows (a consumer batch).
// Prints transactions/s, rows/s, latency percentiles and the ratio.
//   npm run bench:binding -- [--transactions N] [--rounds N] [--concurrency N] [--rows N,N]
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { numberFlag } from './lib/bench-events.mjs';
import { percentiles } from './lib/bench-load.mjs';
import { requireStackEnv, serviceDatabaseUrl } from './lib/stack-env.mjs';

const require = createRequire(import.meta.url);
const { rlsPoliciesSql, tenantBindingSql, tenantRlsSql } = require('@custody/database');

requireStackEnv('bash scripts/run.sh bench scripts/bench-tenant-binding.mjs', { kafka: false, services: ['ingest'] });
const args = process.argv.slice(2);
const TRANSACTIONS = numberFlag(args, 'transactions', 3000);
const ROUNDS = numberFlag(args, 'rounds', 3);
const CONCURRENCY = numberFlag(args, 'concurrency', 8);
// Three tenants per worker, each worker its own: no two transactions in flight touch the same rows
// (overlapping batch updates would deadlock and measure lock waits, not the binding).
const TENANTS = 3 * CONCURRENCY;
const SHAPES = (args.includes('--rows') ? args[args.indexOf('--rows') + 1] : '1,100').split(',').map(Number);

const ROWS_PER_TENANT = 500;

const schema = `bench_binding_${randomBytes(4).toString('hex')}`;
const appUrl = serviceDatabaseUrl('ingest');
const platformUrl = serviceDatabaseUrl('ingest', { platform: true });
const appRole = decodeURIComponent(new URL(appUrl).username);
const platformRole = decodeURIComponent(new URL(platformUrl).username);
const owner = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
const tenants = Array.from({ length: TENANTS }, () => randomUUID());

async function setUp() {
  await owner.connect();
  await owner.query(`CREATE SCHEMA ${schema}`);
  await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}, ${platformRole}`);
  for (const table of ['by_setting', 'by_binding']) {
    await owner.query(`CREATE TABLE ${schema}.${table} (
      tenant_id uuid NOT NULL, id bigint NOT NULL, body bytea NOT NULL, n int NOT NULL DEFAULT 0,
      PRIMARY KEY (tenant_id, id))`);
    await owner.query(
      `INSERT INTO ${schema}.${table} (tenant_id, id, body)
       SELECT t, i, decode(repeat('ab', 200), 'hex') FROM unnest($1::uuid[]) t, generate_series(1, $2) i`,
      [tenants, ROWS_PER_TENANT],
    );
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.${table} TO ${appRole}, ${platformRole}`);
    for (const sql of tenantRlsSql(`${schema}.${table}`)) {
      await owner.query(sql);
    }
  }
  // The binding arm: the functions and the policy rewrite every service's migrations apply…
  for (const sql of tenantBindingSql(schema, appRole)) {
    await owner.query(sql);
  }
  await owner.query(rlsPoliciesSql(schema, { appRole, platformRole }));
  // …and the setting arm gets back the policy of earlier versions, for the same role.
  await owner.query(`ALTER POLICY tenant_isolation ON ${schema}.by_setting TO ${appRole}
    USING (tenant_id::text = current_setting('custody.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('custody.tenant_id', true))`);
  await owner.query(`ANALYZE ${schema}.by_setting`);
  await owner.query(`ANALYZE ${schema}.by_binding`);
}

const ARMS = {
  setting: { table: 'by_setting', begin: (t) => `BEGIN; SELECT set_config('custody.tenant_id', '${t}', true)` },
  binding: { table: 'by_binding', begin: (t) => `BEGIN; SELECT ${schema}.custody_enter_tenant('${t}')` },
};

let nextId = 10_000_000;

/** One tenant transaction: scope, a read, an insert, an update (`rows` rows each), commit. Returns its ms. */
async function transaction(pool, arm, rows, worker) {
  const { table, begin } = ARMS[arm];
  const tenant = tenants[worker + CONCURRENCY * Math.floor(Math.random() * 3)];
  const first = 1 + Math.floor(Math.random() * (ROWS_PER_TENANT - rows));
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const fresh = Array.from({ length: rows }, () => (nextId += 1));
  const client = await pool.connect();
  const t0 = performance.now();
  try {
    await client.query(begin(tenant));
    const read = await client.query(
      `SELECT n FROM ${schema}.${table} WHERE tenant_id = $1 AND id = ANY($2::bigint[])`,
      [tenant, ids],
    );
    if (read.rowCount !== rows) throw new Error(`${arm}: the tenant's own rows are not visible`);
    await client.query(
      `INSERT INTO ${schema}.${table} (tenant_id, id, body) SELECT $1, unnest($2::bigint[]), unnest($3::bytea[])`,
      [tenant, fresh, fresh.map(() => randomBytes(200))],
    );
    await client.query(`UPDATE ${schema}.${table} SET n = n + 1 WHERE tenant_id = $1 AND id = ANY($2::bigint[])`, [
      tenant,
      ids,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return performance.now() - t0;
}

async function runArm(pool, arm, rows, transactions) {
  const latencies = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (started < transactions) {
        started += 1;
        latencies.push(await transaction(pool, arm, rows, worker));
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies };
}

async function main() {
  console.log(
    `bench:binding: ${ROUNDS} rounds × ${TRANSACTIONS} transactions per arm, ${CONCURRENCY} in flight, ` +
      `${TENANTS} tenants; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`,
  );
  await setUp();
  const pool = new pg.Pool({ connectionString: appUrl, max: CONCURRENCY });
  try {
    // Isolation holds in both arms (else the comparison is moot): a transaction of one tenant sees
    // none of another's rows.
    for (const arm of Object.keys(ARMS)) {
      const client = await pool.connect();
      try {
        await client.query(ARMS[arm].begin(tenants[0]));
        const { rows } = await client.query(
          `SELECT count(*)::int AS n FROM ${schema}.${ARMS[arm].table} WHERE tenant_id = $1`,
          [tenants[1]],
        );
        await client.query('ROLLBACK');
        if (rows[0].n !== 0) throw new Error(`${arm}: another tenant's rows are visible`);
      } finally {
        client.release();
      }
    }
    console.log('\n| rows per statement | arm | transactions/s | rows/s | p50 ms | p95 ms | p99 ms |');
    console.log('|--:|---|--:|--:|--:|--:|--:|');
    const summary = [];
    for (const rows of SHAPES) {
      // Fewer transactions for bigger batches, so each shape takes about as long.
      const transactions = Math.max(200, Math.round(TRANSACTIONS / Math.sqrt(rows)));
      await runArm(pool, 'setting', rows, transactions / 4); // warm-up of both arms, not counted
      await runArm(pool, 'binding', rows, transactions / 4);
      const results = { setting: [], binding: [] };
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const arm of round % 2 === 0 ? ['setting', 'binding'] : ['binding', 'setting']) {
          results[arm].push(await runArm(pool, arm, rows, transactions));
        }
      }
      const rate = {};
      for (const arm of Object.keys(results)) {
        const seconds = results[arm].reduce((sum, r) => sum + r.seconds, 0);
        rate[arm] = (transactions * ROUNDS) / seconds;
        const p = percentiles(results[arm].flatMap((r) => r.latencies));
        console.log(
          `| ${rows} | ${arm} | ${rate[arm].toFixed(0)} | ${(rate[arm] * rows).toFixed(0)} | ${p.p50.toFixed(2)} | ${p.p95.toFixed(2)} | ${p.p99.toFixed(2)} |`,
        );
      }
      summary.push(
        `${rows} row(s) per statement: binding / setting throughput ${(rate.binding / rate.setting).toFixed(3)}× ` +
          `(per round: ${results.binding.map((r, i) => (results.setting[i].seconds / r.seconds).toFixed(3)).join(', ')})`,
      );
    }
    console.log(`\n${summary.join('\n')}`);
  } finally {
    await pool.end();
    await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await owner.end();
  }
}

main().catch((error) => {
  console.error(`bench:binding: ${error.stack ?? error}`);
  process.exit(1);
});
