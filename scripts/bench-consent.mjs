// Benchmark of the consent log's storage (see docs/benchmarks.md). Run through
// `npm run bench:consent`; it builds first. Measures, against the real PostgreSQL:
//   1. appends/s: consent entries appended with everything an append writes (entry, tree nodes,
//      log head, derived state, outbox row), through the service's own LogWriter (group commit,
//      pipelined) and repository, with a steady window of concurrent appends like many clients;
//      Then the same with several tenants appending at once (separate logs, separate locks):
//      the platform's aggregate rate;
//   2. inclusion-proof latency at the final size (default 1,000,000 leaves): p50/p99 of the
//      proof itself (plan + one indexed read of O(log n) stored nodes + hashing) and of the
//      auditor endpoint's whole service call; every sampled proof is verified against the root.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serviceDatabaseUrl } from './lib/stack-env.mjs';
import { performance } from 'node:perf_hooks';
import { createDataSource, runMigrations, TenantDb } from '@custody/database';
import {
  assembleProof,
  CompactRange,
  decodeHash,
  nodeKey,
  planInclusionProof,
  planNodes,
  verifyInclusion,
} from '@custody/transparency-log';
import { ConsentLogRepository } from '../apps/consent/dist/repositories/consent-log.repository.js';
import { AuditService } from '../apps/consent/dist/services/audit.service.js';
import { ConsentSettings } from '../apps/consent/dist/config/consent.settings.js';
import { LogWriter } from '../apps/consent/dist/services/log-writer.service.js';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const LEAVES = Number(args.leaves ?? 1_000_000);
const BATCH = Number(args.batch ?? 500);
const WINDOW = Number(args.window ?? 2 * BATCH);
const SAMPLES = Number(args.samples ?? 2000);
// --keep 1 leaves the scratch schema for inspection.
const CUSTOMERS = 100_000;
const TENANTS = Number(args.tenants ?? 4);
const PARALLEL_LEAVES = Number(args['parallel-leaves'] ?? 200_000);

const schema = `consent_bench_${process.pid}`;
const tenantId = randomUUID();
const log = (line) => process.stderr.write(`${line}\n`);

/**
 * CPU seconds used so far by this process and by the database backends serving it (read from
 * /proc, when PostgreSQL runs on this machine): a cost per append that does not depend on how busy
 * the machine is, unlike appends/s.
 */
async function cpuSeconds(ds) {
  const node = process.cpuUsage();
  let pg = null;
  try {
    const pids = (
      await ds.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [`custody-${schema}`])
    ).map((r) => r.pid);
    const ticks = Number(process.env.CLK_TCK ?? 100);
    pg = pids.reduce((sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / ticks;
    }, 0);
  } catch {
    pg = null;
  }
  return { node: (node.user + node.system) / 1e6, pg };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (v) => `${v.toFixed(3)} ms`;

function grantUnit(i, subjects, tenantId) {
  const subject = subjects[i % CUSTOMERS];
  return {
    items: [
      {
        customerRef: Buffer.from(`customer-${i % CUSTOMERS}`)
          .toString('base64url')
          .padEnd(43, 'A'),
        draft: {
          kind: 'consent.granted',
          tenant: tenantId,
          subject,
          purpose: {
            key: i % 2 ? 'ads' : 'news',
            dataUse: i % 2 ? 'marketing.advertising' : 'marketing.communications.whatsapp',
            version: 1,
            language: 'en',
            wordingHash: 'ab'.repeat(32),
          },
          method: 'api',
          prompt: randomUUID(),
          source: { channel: 'api', actor: 'cid_bench' },
          occurredAt: new Date().toISOString(),
        },
      },
    ],
  };
}

async function main() {
  log(`bench:consent: scratch schema ${schema}, ${LEAVES.toLocaleString('en-US')} leaves, batches of ${BATCH}`);
  await runMigrations({
    url: process.env.MIGRATION_DATABASE_URL,
    schema,
    appRole: process.env.DATABASE_APP_ROLE || 'custody_consent',
    platformRole: process.env.DATABASE_PLATFORM_ROLE || 'custody_consent_platform',
    migrations: (await import('../apps/consent/dist/migrations/index.js')).MIGRATIONS,
  });
  const ds = createDataSource({ url: serviceDatabaseUrl('consent'), schema, entities: [], poolSize: 8 });
  await ds.initialize();
  const platformDs = createDataSource({
    url: serviceDatabaseUrl('consent', { platform: true }),
    schema,
    entities: [],
    poolSize: 2,
  });
  await platformDs.initialize();
  const repo = new ConsentLogRepository(new TenantDb(ds, platformDs));
  const subjects = Array.from({ length: CUSTOMERS }, () => randomBytes(32).toString('hex'));
  try {
    // Appends: a steady window of concurrent appends, as from many API clients at once.
    const settings = new ConsentSettings('bench', 60000, 3600000, 'bench', BATCH, false);
    const writer = new LogWriter(repo, { wake() {} }, settings);
    const pump = (tenant, total, onProgress) =>
      new Promise((resolve, reject) => {
        let submitted = 0;
        let finished = 0;
        const submit = () => {
          while (submitted < total && submitted - finished < WINDOW) {
            const i = submitted++;
            const t0 = i % 100 === 0 ? performance.now() : 0;
            writer.append(tenant, grantUnit(i, subjects, tenant)).then((outcome) => {
              if (outcome.items[0].status !== 'appended') {
                reject(new Error('an append did not happen'));
                return;
              }
              if (t0) {
                latencies.push(performance.now() - t0);
              }
              finished += 1;
              onProgress?.(finished);
              if (finished === total) {
                resolve();
              } else {
                submit();
              }
            }, reject);
          }
        };
        submit();
      });
    const latencies = [];
    await Promise.all(Array.from({ length: 8 }, () => ds.query('SELECT 1')));
    const cpuBefore = await cpuSeconds(ds);
    const started = performance.now();
    let lastReport = started;
    await pump(tenantId, LEAVES, (appended) => {
      if (appended % 1000 === 0 && performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(
          `  ${appended.toLocaleString('en-US')} appended, ${Math.round(appended / ((lastReport - started) / 1000)).toLocaleString('en-US')}/s`,
        );
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const appendsPerSecond = LEAVES / seconds;
    const cpuAfter = await cpuSeconds(ds);
    const cpu = {
      nodeMicrosPerAppend: Math.round(((cpuAfter.node - cpuBefore.node) / LEAVES) * 1e6),
      pgMicrosPerAppend:
        cpuAfter.pg === null || cpuBefore.pg === null
          ? null
          : Math.round(((cpuAfter.pg - cpuBefore.pg) / LEAVES) * 1e6),
    };
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const appendLatencies = [...latencies].sort((a, b) => a - b);

    // Several tenants at once.
    let parallelPerSecond = null;
    if (TENANTS > 1 && PARALLEL_LEAVES > 0) {
      const each = Math.ceil(PARALLEL_LEAVES / TENANTS);
      const tenants = Array.from({ length: TENANTS }, () => randomUUID());
      log(`  then ${TENANTS} tenants in parallel, ${each.toLocaleString('en-US')} appends each`);
      const p0 = performance.now();
      await Promise.all(tenants.map((t) => pump(t, each)));
      parallelPerSecond = Math.round((each * TENANTS) / ((performance.now() - p0) / 1000));
    }

    // Proofs at the final size.
    const head = await repo.head(tenantId);
    const root = CompactRange.fromFrontier(head.size, head.frontier).root();
    const audit = new AuditService(
      repo,
      undefined,
      undefined,
      new ConsentSettings('bench', 60000, 3600000, 'bench', BATCH, false),
    );
    const proofTimes = [];
    const serviceTimes = [];
    const pureTimes = [];
    for (let s = 0; s < SAMPLES; s++) {
      const index = Math.floor(Math.random() * head.size);
      const t0 = performance.now();
      const plan = planInclusionProof(index, head.size);
      const nodes = await repo.nodes(tenantId, planNodes(plan));
      const proof = assembleProof(plan, (c) => nodes.get(nodeKey(c)));
      proofTimes.push(performance.now() - t0);
      const t1 = performance.now();
      assembleProof(planInclusionProof(index, head.size), (c) => nodes.get(nodeKey(c)));
      pureTimes.push(performance.now() - t1);
      const leaf = (await repo.nodes(tenantId, [{ level: 0, index }])).get(nodeKey({ level: 0, index }));
      const check = verifyInclusion(index, head.size, leaf, proof, root);
      if (!check.ok) {
        throw new Error(`proof for ${index} does not verify: ${check.reason}`);
      }
      const t2 = performance.now();
      const dto = await audit.inclusion(tenantId, { index, treeSize: head.size });
      serviceTimes.push(performance.now() - t2);
      if (
        !verifyInclusion(
          index,
          head.size,
          decodeHash(dto.leafHash),
          dto.auditPath.map((h) => decodeHash(h)),
          root,
        ).ok
      ) {
        throw new Error(`service proof for ${index} does not verify`);
      }
    }
    for (const list of [proofTimes, serviceTimes, pureTimes]) {
      list.sort((a, b) => a - b);
    }
    const result = {
      leaves: head.size,
      batch: BATCH,
      appendSeconds: Number(seconds.toFixed(1)),
      appendsPerSecond: Math.round(appendsPerSecond),
      parallelTenants: TENANTS,
      parallelAppendsPerSecond: parallelPerSecond,
      cpuPerAppend: cpu,
      loadAverage: load,
      appendLatencyMs: { p50: percentile(appendLatencies, 50), p99: percentile(appendLatencies, 99) },
      inclusionProofMs: { p50: percentile(proofTimes, 50), p99: percentile(proofTimes, 99) },
      inclusionProofComputeOnlyMs: { p50: percentile(pureTimes, 50), p99: percentile(pureTimes, 99) },
      auditEndpointServiceMs: { p50: percentile(serviceTimes, 50), p99: percentile(serviceTimes, 99) },
      proofSamples: SAMPLES,
      node: process.version,
    };
    console.log(
      `consent log benchmark (${head.size.toLocaleString('en-US')} leaves, one tenant, LogWriter group commit up to ${BATCH}, pipelined)`,
    );
    console.log(
      `  appends:          ${result.appendsPerSecond.toLocaleString('en-US')}/s (${result.appendSeconds} s; ${WINDOW} in flight, latency p50 ${ms(result.appendLatencyMs.p50)}, p99 ${ms(result.appendLatencyMs.p99)})`,
    );
    console.log(
      `  CPU per append:   ${cpu.nodeMicrosPerAppend} µs in Node` +
        (cpu.pgMicrosPerAppend === null ? '' : ` + ${cpu.pgMicrosPerAppend} µs in PostgreSQL`) +
        ` (machine load average at the end: ${load})`,
    );
    if (parallelPerSecond !== null) {
      console.log(`  appends, ${TENANTS} tenants at once: ${parallelPerSecond.toLocaleString('en-US')}/s in total`);
    }
    console.log(
      `  inclusion proof:  p50 ${ms(result.inclusionProofMs.p50)}, p99 ${ms(result.inclusionProofMs.p99)}  (plan + one read of stored nodes + hashing; ${SAMPLES} random leaves, all verified)`,
    );
    console.log(
      `    hashing only:   p50 ${ms(result.inclusionProofComputeOnlyMs.p50)}, p99 ${ms(result.inclusionProofComputeOnlyMs.p99)}`,
    );
    console.log(
      `    audit endpoint: p50 ${ms(result.auditEndpointServiceMs.p50)}, p99 ${ms(result.auditEndpointServiceMs.p99)}  (service call: head, proof, leaf and entry reads)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await ds.destroy();
    await platformDs.destroy();
    if (args.keep !== undefined) {
      log(`bench:consent: kept schema ${schema} (tenant ${tenantId})`);
      return;
    }
    const owner = createDataSource({ url: process.env.MIGRATION_DATABASE_URL, schema, entities: [], poolSize: 1 });
    await owner.initialize();
    await owner.query(`DROP SCHEMA ${schema} CASCADE`);
    await owner.destroy();
  }
}

main().catch((error) => {
  console.error(`bench:consent: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
