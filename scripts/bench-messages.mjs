// npm run bench:messages [-- --phases closed,open,ceilings --messages 8000 --concurrency 256
//                           --rate 500 --seconds 15 --customers 5000 --overload --json FILE]
// The message path under load, end to end: HTTP send → ingest → Kafka → tenant-store →
// PostgreSQL, the simulated network's sent/delivered/read statuses for every message, and the
// tenant's status webhooks delivered to a receiver this benchmark runs. Per phase (closed loop,
// open loop, optional overload) it prints throughput, send→stored and HTTP latency, sends
// accepted/refused/failed, CPU per message of every process on the path (from /proc) and Kafka
// events per message; then counts from the database and the receiver that must agree, and the
// like-for-like ceilings measured in the same run with the apps stopped. See docs/benchmarks.md.
import { execSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { closedLoop, createSender, openLoop, percentiles } from './lib/bench-load.mjs';
import {
  endOffsets,
  eventsBetween,
  kafkaCeiling,
  otherEnvironments,
  pathTopics,
  sampleEvents,
  topicLayout,
} from './lib/bench-kafka.mjs';
import { scrape, stageStats } from './lib/bench-metrics.mjs';
import { cpuBetween, findStackPids, sample } from './lib/bench-proc.mjs';
import { startReceiver } from './lib/bench-receiver.mjs';
import { storeCeiling } from './lib/bench-store.mjs';
import { startProcesses, Topics } from './lib/platform-processes.mjs';
import { ensureApprovedTemplate } from './lib/templates.mjs';
import { requireStackEnv } from './lib/stack-env.mjs';

const root = new URL('..', import.meta.url).pathname;

// ---- arguments: --name value, --name=value, --flag ---------------------------------------------
const args = {};
for (let i = 2; i < process.argv.length; i += 1) {
  const a = process.argv[i];
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
  const [k, v] = a.slice(2).split('=', 2);
  if (v !== undefined) args[k] = v;
  else if (process.argv[i + 1] !== undefined && !process.argv[i + 1].startsWith('--')) args[k] = process.argv[++i];
  else args[k] = true;
}
const KNOWN = [
  'phases',
  'messages',
  'concurrency',
  'rate',
  'seconds',
  'customers',
  'warmup',
  'overload',
  'overload-rate',
  'overload-seconds',
  'max-inflight',
  'overload-inflight',
  'settle-timeout',
  'json',
  'ceiling-seconds',
  'store-batch',
  'help',
];
for (const k of Object.keys(args))
  if (!KNOWN.includes(k)) throw new Error(`unknown option --${k} (known: ${KNOWN.map((x) => `--${x}`).join(' ')})`);
if (args.help) {
  console.log(`npm run bench:messages -- [options]
  --phases LIST         closed,open,overload,ceilings (default closed,open,ceilings; --overload adds overload)
  --messages N          closed loop: messages (default 8000)
  --concurrency C       closed loop: senders waiting for their answer (default 256: enough in flight to find the capacity; 64 senders at ~200 ms each carry only ~320/s)
  --rate R              open loop: sends per second (default 500)
  --seconds S           open loop: duration (default 15)
  --overload            add the overload phase (default rate: 2 × the closed loop's measured rate)
  --overload-rate R     overload rate (default 2 × closed-loop throughput, else 2 × --rate)
  --overload-seconds S  overload duration (default 10)
  --warmup N            unmeasured sends first (default min(customers, 2000): every customer's first contact, JIT; 0: none)
  --customers K         distinct customers, cycled (default 2000; a customer's first message also sends the hosted notice)
  --max-inflight M      open loop: sends in flight at most, more are skipped (default 256)
  --overload-inflight M overload: sends in flight at most (default 2048, so ingest sees the excess)
  --settle-timeout S    longest wait per phase, and once more before the counts, for stored rows, statuses and webhooks (default 60)
  --ceiling-seconds S   duration of each ceiling (default 8)
  --store-batch B       PostgreSQL ceiling: messages and statuses per store call (default: the consumers' mean chunk in the run, from /metrics; else 100)
  --json FILE           write everything printed as JSON`);
  process.exit(0);
}
const num = (k, d) => {
  if (args[k] === undefined) return d;
  const n = Number(args[k]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number`);
  return n;
};
const N = num('messages', 8000);
const CONCURRENCY = num('concurrency', 256);
const RATE = num('rate', 500);
const OPEN_SECONDS = num('seconds', 15);
const CUSTOMERS = num('customers', 2000);
const WARMUP = args.warmup === '0' ? 0 : num('warmup', Math.min(CUSTOMERS, 2000));
const MAX_INFLIGHT = num('max-inflight', 256);
const OVERLOAD_INFLIGHT = num('overload-inflight', 2048);
const SETTLE_S = num('settle-timeout', 60);
const OVERLOAD_SECONDS = num('overload-seconds', 10);
const CEILING_SECONDS = num('ceiling-seconds', 8);
const STORE_BATCH = args['store-batch'] === undefined ? undefined : num('store-batch', 100);
const PHASES = String(args.phases ?? `closed,open${args.overload ? ',overload' : ''},ceilings`)
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const p of PHASES)
  if (!['closed', 'open', 'overload', 'ceilings'].includes(p)) throw new Error(`unknown phase ${p}`);
const NUMBERS = 8; // phone numbers of the bench tenant, 1,000 messages/s each
const STATUSES = ['sent', 'delivered', 'read'];
requireStackEnv('npm run bench:messages');

// ---- formatting ----------------------------------------------------------------------------------
const fmt = (n, d = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (n) => (n === null || n === undefined ? '–' : `${n.toFixed(1)} ms`);
/** A ratio as a percentage with three significant digits (never 0.00). */
const percent = (r) => {
  if (r === null || !Number.isFinite(r)) return '–';
  const v = r * 100;
  return `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)} %`;
};
const sleep = (t) => new Promise((r) => setTimeout(r, t));
function git(cmd) {
  try {
    return execSync(`git ${cmd}`, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const report = {
  command: `npm run bench:messages -- ${process.argv.slice(2).join(' ')}`.trim(),
  startedAt: new Date().toISOString(),
  node: process.version,
  commit: git('rev-parse HEAD'),
  dirty: git('status --porcelain') ? true : false,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadBefore: loadavg() },
  options: {
    phases: PHASES,
    messages: N,
    concurrency: CONCURRENCY,
    rate: RATE,
    seconds: OPEN_SECONDS,
    customers: CUSTOMERS,
    maxInFlight: MAX_INFLIGHT,
    numbers: NUMBERS,
  },
  warnings: [],
  phases: {},
};
const warn = (msg) => {
  report.warnings.push(msg);
  console.log(`WARNING: ${msg}`);
};

let running;
let receiver;
/** What the ceilings need from the run: { refName, samples, layout } (logical topic names). */
let ceilingInput;
/** The benchmark's own consumer groups (observer, event sampling). */
const isBench = (g) => g.startsWith('bench-');

async function main() {
  console.log(
    `bench:messages — ${PHASES.map((p) => ({ closed: `closed ${fmt(N)} messages × ${CONCURRENCY} senders`, open: `open ${fmt(RATE)}/s × ${OPEN_SECONDS} s`, overload: `overload ${args['overload-rate'] ? `${fmt(num('overload-rate', 1))}/s` : '2 × closed'} × ${OVERLOAD_SECONDS} s` })[p] ?? p).join(', ')}; ${fmt(CUSTOMERS)} customers, ${NUMBERS} numbers × 1,000/s; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, commit ${report.commit?.slice(0, 10) ?? '?'}${report.dirty ? ' (dirty)' : ''}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (loadavg()[0] > cpus().length)
    warn(
      `the machine is busy before the start (load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores): these numbers measure the machine's contention, not only the path`,
    );
  const stack = findStackPids(root);
  if (!stack.kafka) warn('the Kafka broker is not a local process of this stack: its CPU is not measured');
  if (!stack.postgres) warn('PostgreSQL is not a local cluster of this stack: its CPU is not measured');
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const others = await otherEnvironments(admin, isBench);
  if (others.length)
    warn(
      `another environment shares this broker (consumer groups ${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''}): it shares the broker's CPU (and the machine's) with this run, so the broker's CPU per message and the latencies include its load; its topics are its own (KAFKA_TOPIC_PREFIX)`,
    );
  report.otherGroupsBefore = others;

  const measured = PHASES.filter((p) => p !== 'ceilings');
  if (measured.length > 0) await runPath(kafka, admin, stack);
  await admin.disconnect();
  // A fresh admin: the first one keeps the run's topics, deleted with the apps, in its metadata.
  if (PHASES.includes('ceilings')) {
    const ceilingAdmin = kafka.admin();
    await ceilingAdmin.connect();
    try {
      await runCeilings(kafka, ceilingAdmin, stack);
    } finally {
      await ceilingAdmin.disconnect();
    }
  }

  report.machine.loadAfter = loadavg();
  report.finishedAt = new Date().toISOString();
  console.log(
    `load average before ${report.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${report.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON summary: ${args.json}`);
  }
  if (report.countsAgree === false) {
    console.log('FAILED: the counts disagree (see the table above)');
    process.exit(1);
  }
  process.exit(0);
}

// ---- the path ------------------------------------------------------------------------------------
async function runPath(kafka, admin, stack) {
  const appSecret = randomBytes(20).toString('hex');
  const verifyToken = randomBytes(12).toString('hex');
  receiver = await startReceiver({ appSecret, verifyToken });
  const apps = await startProcesses({
    apps: ['tenant-store', 'ingest', 'sandbox'],
    env: { NETWORK_DUPLICATE_PERCENT: '0' },
    consumerGroups: 5,
  });
  running = apps;
  const groupPrefix = apps.env.KAFKA_GROUP_PREFIX;
  // The apps form an environment of their own: topics `<prefix>.*` (deleted when they stop).
  const ns = apps.topics;
  /** A broker topic name as its logical name without `custody.` (`messages.stored.v1`). */
  const logical = (name) => (ns.topicOf(name) ?? name).replace(/^custody\./, '');
  const byLogical = (o) => Object.fromEntries(Object.entries(o).map(([t, v]) => [logical(t), v]));
  const store = apps.url('tenant-store');
  const ingest = apps.url('ingest');
  const operatorToken = await apps.token();
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({
    phoneNumberId: `9${Date.now()}${i}`.slice(0, 15),
    displayPhoneNumber: `+1555990${String(i).padStart(4, '0')}`,
  }));
  const businessAccountId = `8${Date.now()}`;
  const res = await fetch(`${store}/v1/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
    body: JSON.stringify({
      businessAccountId,
      displayName: 'Bench',
      phoneNumbers: numbers,
      appSecret,
      messagesPerSecond: 1000,
    }),
  });
  const created = await res.json();
  if (!res.ok) throw new Error(`tenant creation failed: HTTP ${res.status} ${JSON.stringify(created)}`);
  const auth = `Bearer ${await apps.token(created.credentials.clientId, created.credentials.clientSecret)}`;
  const tenantId = created.tenant.id;
  report.tenantId = tenantId;

  // The tenant sets its webhook as a tenant does: PUT /v1/webhook, verified by the handshake.
  // Ingest learns of the new tenant from Kafka, so the first tries may not find it yet.
  for (let i = 0; ; i += 1) {
    const r = await fetch(`${ingest}/v1/webhook`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ url: receiver.url, verifyToken }),
    });
    if (r.ok) break;
    if (i > 300) throw new Error(`PUT /v1/webhook never succeeded: HTTP ${r.status} ${await r.text()}`);
    await sleep(200);
  }
  console.log(`tenant ${tenantId}: webhook ${receiver.url} verified by handshake (${receiver.stats.handshakes})`);

  // The template every send uses, approved by the sandbox's review before the warm-up.
  await ensureApprovedTemplate({ ingest, authorization: auth, businessAccountId, name: 'bench' });

  const send = createSender({
    baseUrl: ingest,
    auth,
    maxSockets: Math.max(MAX_INFLIGHT, OVERLOAD_INFLIGHT, CONCURRENCY),
    connectTimeoutMs: 3000,
    responseTimeoutMs: 10_000,
  });
  const template = (to) =>
    JSON.stringify({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: 'bench', language: { code: 'en' } },
    });
  /** Every accepted message id → { phase, t0 }. */
  const accepted = new Map();
  // Warm-up: until ingest routes every number (one send each), not counted in any phase.
  for (const n of numbers) {
    for (let i = 0; ; i += 1) {
      const r = await send(`/v25.0/${n.phoneNumberId}/messages`, template('15550000000'));
      if (r.outcome === 'accepted') {
        accepted.set(r.id, { phase: 'warm-up', t0: performance.now() });
        break;
      }
      if (i > 600) throw new Error(`ingest never routed ${n.phoneNumberId}: ${JSON.stringify(r)}`);
      await sleep(200);
    }
  }

  // Stored-time of each business message, from tenant-store's `stored` events (the time the rest
  // of the platform can see it). Only events of this tenant of type stored.message are parsed.
  const observerGroup = `bench-observer-${randomUUID()}`;
  const observer = kafka.consumer({ groupId: observerGroup, maxWaitTimeInMs: 50 });
  await observer.connect();
  await observer.subscribe({ topic: ns.name(Topics.MessagesStored), fromBeginning: false });
  const storedAt = new Map();
  let storedDuplicates = 0;
  await observer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const tenant = m.headers?.['custody-tenant-id'];
        const type = m.headers?.['custody-event-type'];
        if (
          (tenant !== undefined && String(tenant) !== tenantId) ||
          (type !== undefined && String(type) !== 'stored.message')
        )
          continue;
        const e = JSON.parse(m.value.toString());
        const id = e.message?.messageId;
        if (!id || e.tenantId !== tenantId || e.message.origin !== 'business') continue;
        if (storedAt.has(id)) storedDuplicates += 1;
        else storedAt.set(id, now);
      }
    },
  });
  for (let i = 0; i < 300; i += 1) {
    const g = await observer.describeGroup();
    if (g.state === 'Stable' && g.members.length > 0) break;
    await sleep(100);
  }
  await sleep(1000);

  // Counting from the database: the platform's view, as the owner with the platform flag (RLS).
  const db = new pg.Client({
    connectionString: process.env.MIGRATION_DATABASE_URL,
    application_name: 'bench-messages',
  });
  await db.connect();
  const dbPid = (await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const platformQuery = async (sql, params) => {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('custody.platform', 'on', true)`);
    try {
      return (await db.query(sql, params)).rows;
    } finally {
      await db.query('COMMIT');
    }
  };
  const dbCounts = async () =>
    (
      await platformQuery(
        `SELECT (SELECT count(*)::int FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'business') AS business,
                (SELECT count(*)::int FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'system') AS system,
                (SELECT count(*)::int FROM tenant_store.message_statuses s JOIN tenant_store.messages m USING (message_id)
                  WHERE s.tenant_id = $1 AND m.origin = 'business') AS statuses`,
        [tenantId],
      )
    )[0];
  const pids = { apps: apps.pids, kafka: stack.kafka, postgres: stack.postgres, excludePostgres: [dbPid] };
  const topics = await pathTopics(admin, ns, Topics);
  const metricUrls = { 'tenant-store': store, ingest, sandbox: apps.url('sandbox') };
  /** Per phase, the broker-named offsets (for reading the events back). */
  const phaseOffsets = {};

  // Idle baseline: what these processes burn with nothing sent (timers, heartbeats, polling).
  const idle0 = sample(pids);
  await sleep(3000);
  const idle = cpuBetween(idle0, sample(pids));
  report.idleCores = {
    path: idle.path / idle.seconds,
    ...Object.fromEntries(Object.entries(idle.apps).map(([a, s]) => [a, s / idle.seconds])),
    kafka: idle.kafka / idle.seconds,
    postgres: idle.postgres / idle.seconds,
  };
  console.log(
    `idle baseline (nothing sent, 3 s): the path's processes use ${fmt(report.idleCores.path, 3)} cores (${Object.entries(
      report.idleCores,
    )
      .filter(([k]) => k !== 'path')
      .map(([k, c]) => `${k} ${fmt(c, 3)}`)
      .join(', ')})`,
  );

  let customer = 0;
  const sendPhase = (phase, rec) => async () => {
    const i = customer++;
    const number = numbers[i % NUMBERS].phoneNumberId;
    const to = `1555${String(1000000 + (i % CUSTOMERS)).padStart(7, '0')}`;
    const t0 = performance.now();
    const r = await send(`/v25.0/${number}/messages`, template(to));
    if (r.outcome === 'accepted') {
      accepted.set(r.id, { phase, t0 });
      rec.ids.push(r.id);
      rec.httpAccepted.push(r.ms);
    } else if (r.outcome === 'refused') {
      rec.refused[`${r.status}${r.code ? `/${r.code}` : ''}`] =
        (rec.refused[`${r.status}${r.code ? `/${r.code}` : ''}`] ?? 0) + 1;
      rec.httpRefused.push(r.ms);
    } else if (r.outcome === 'rejected') {
      const k = `${r.status}${r.code ? `/${r.code}` : ''}`;
      rec.rejected[k] = (rec.rejected[k] ?? 0) + 1;
      if (rec.rejectedExample === undefined) rec.rejectedExample = r.detail;
    } else {
      rec.failed[r.code] = (rec.failed[r.code] ?? 0) + 1;
    }
  };

  /**
   * Where the time goes, per stage, from the timestamps the platform already records (one
   * clock: everything runs on this machine): ingest's accept time (the outbound message's
   * network timestamp), tenant-store's transaction times (received_at of the message and of its
   * statuses), ingest's webhook queue (webhook_deliveries created_at / delivered_at). Tables the
   * apps may reshape: a failing query only drops this breakdown.
   */
  const stages = async (ids) => {
    try {
      const epoch = (c) => `(extract(epoch FROM ${c}) * 1000)::float8`;
      const msgs = await platformQuery(
        `SELECT message_id AS id, ${epoch('network_timestamp')} AS accepted, ${epoch('received_at')} AS stored
           FROM tenant_store.messages WHERE tenant_id = $1 AND message_id = ANY($2)`,
        [tenantId, ids],
      );
      const sts = await platformQuery(
        `SELECT message_id AS id, status, ${epoch('received_at')} AS stored FROM tenant_store.message_statuses WHERE tenant_id = $1 AND message_id = ANY($2)`,
        [tenantId, ids],
      );
      const origin = performance.timeOrigin;
      const msgById = new Map(msgs.map((r) => [r.id, r]));
      const out = {
        'send → accepted by ingest': percentiles(msgs.map((r) => r.accepted - (origin + accepted.get(r.id).t0))),
        'accepted → message stored': percentiles(msgs.map((r) => r.stored - r.accepted)),
        'message stored → status stored (network, sandbox delay)': percentiles(
          sts.filter((r) => msgById.has(r.id)).map((r) => r.stored - msgById.get(r.id).stored),
        ),
        // Arrival at the receiver (this process's clock, the same machine's).
        'status stored → its webhook received (outbox, Kafka, ingest)': percentiles(
          sts
            .filter((r) => receiver.statuses.has(`${r.id}:${r.status}`))
            .map((r) => origin + receiver.statuses.get(`${r.id}:${r.status}`).first - r.stored),
        ),
      };
      return out;
    } catch (error) {
      return { error: error.message };
    }
  };

  const businessTotal = () => [...accepted.keys()].length;
  /**
   * Settle: every accepted message stored, with its three statuses in the database and their
   * webhooks at the receiver (bounded, with progress). Returns the last database counts.
   */
  const settle = async (phase, ids, started) => {
    const want = businessTotal();
    const deadline = Date.now() + SETTLE_S * 1000;
    let lastPrint = 0;
    for (;;) {
      const counts = await dbCounts();
      const observed = ids.filter((id) => storedAt.has(id)).length;
      const hooks = receiver.complete(ids);
      const settled =
        observed >= ids.length &&
        counts.business >= want &&
        counts.statuses >= STATUSES.length * want &&
        hooks >= ids.length;
      if (settled || Date.now() > deadline) {
        if (!settled)
          warn(
            `${phase}: not settled after ${SETTLE_S} s (stored events ${observed}/${ids.length}, rows ${counts.business}/${want}, statuses ${counts.statuses}/${STATUSES.length * want}, webhooks ${hooks}/${ids.length})`,
          );
        return counts;
      }
      if (Date.now() - lastPrint > 3000) {
        lastPrint = Date.now();
        console.log(
          `  … ${((performance.now() - started) / 1000).toFixed(0)} s: stored ${fmt(observed)}/${fmt(ids.length)}, statuses in db ${fmt(counts.statuses)}/${fmt(STATUSES.length * want)} (all phases), complete webhooks ${fmt(hooks)}/${fmt(ids.length)}`,
        );
      }
      await sleep(250);
    }
  };

  // Warm-up, not measured: the first message to each customer (its conversation and hosted
  // notice: first contact is not the steady state), and the JIT of the apps and the broker.
  if (WARMUP > 0) {
    const rec = { ids: [], httpAccepted: [], httpRefused: [], refused: {}, rejected: {}, failed: {} };
    const started = performance.now();
    console.log(
      `\n== warm-up: ${fmt(WARMUP)} messages, ${CONCURRENCY} senders (first contact with each customer; not measured)`,
    );
    await closedLoop({ n: WARMUP, concurrency: CONCURRENCY, sendOne: sendPhase('warm-up', rec) });
    await settle('warm-up', rec.ids, started);
    console.log(
      `  ${fmt(rec.ids.length)} accepted, stored with their statuses and webhooks in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    report.warmup = { messages: WARMUP, accepted: rec.ids.length, seconds: (performance.now() - started) / 1000 };
  }

  let closedRate = null;
  for (const phase of PHASES.filter((p) => p !== 'ceilings')) {
    const rec = { ids: [], httpAccepted: [], httpRefused: [], refused: {}, rejected: {}, failed: {} };
    const rate = phase === 'overload' ? num('overload-rate', Math.round(2 * (closedRate ?? RATE))) : RATE;
    const inFlight = phase === 'overload' ? OVERLOAD_INFLIGHT : MAX_INFLIGHT;
    console.log(
      `\n== ${phase}: ${phase === 'closed' ? `${fmt(N)} messages, ${CONCURRENCY} senders` : `${fmt(rate)}/s for ${phase === 'overload' ? OVERLOAD_SECONDS : OPEN_SECONDS} s, at most ${inFlight} in flight`}`,
    );
    const others = await otherEnvironments(admin, (g) => isBench(g) || g.startsWith(`${groupPrefix}.`));
    if (others.length)
      warn(`${phase}: other consumer groups are active on this broker (${others.slice(0, 6).join(', ')})`);
    const offsetsBefore = await endOffsets(admin, topics);
    const metricsBefore = await scrape(metricUrls);
    const countsBefore = await dbCounts();
    const cpuBefore = sample(pids);
    const started = performance.now();
    const one = sendPhase(phase, rec);
    const progress = setInterval(() => {
      const answered = rec.ids.length + rec.httpRefused.length + Object.values(rec.failed).reduce((a, b) => a + b, 0);
      console.log(
        `  … ${((performance.now() - started) / 1000).toFixed(0)} s: ${fmt(answered)} sends answered, ${fmt(rec.ids.length)} accepted, ${fmt(rec.ids.filter((id) => storedAt.has(id)).length)} stored`,
      );
    }, 5000);
    const loop =
      phase === 'closed'
        ? await closedLoop({ n: N, concurrency: CONCURRENCY, sendOne: one })
        : await openLoop({
            rate,
            seconds: phase === 'overload' ? OVERLOAD_SECONDS : OPEN_SECONDS,
            maxInFlight: inFlight,
            sendOne: one,
          });
    clearInterval(progress);
    const sendsDone = performance.now();

    const counts = await settle(phase, rec.ids, started);
    const settledAt = performance.now();
    const cpu = cpuBetween(cpuBefore, sample(pids));
    const offsetsAfter = await endOffsets(admin, topics);
    const metricsAfter = await scrape(metricUrls);
    phaseOffsets[phase] = { before: offsetsBefore, after: offsetsAfter };
    const events = byLogical(eventsBetween(offsetsBefore, offsetsAfter));
    const appStages = stageStats(metricsBefore, metricsAfter, (t) => t.replace(/^custody\./, '')).map((r) => ({
      ...r,
      group: r.group?.replace(`${groupPrefix}.`, ''),
    }));

    const stored = rec.ids.filter((id) => storedAt.has(id));
    const lastStored = Math.max(...stored.map((id) => storedAt.get(id)));
    const throughput = stored.length ? stored.length / ((lastStored - started) / 1000) : 0;
    if (phase === 'closed') closedRate = throughput;
    const latency = percentiles(stored.map((id) => storedAt.get(id) - accepted.get(id).t0));
    const webhookLatency = percentiles(
      rec.ids
        .filter((id) => STATUSES.every((s) => receiver.statuses.has(`${id}:${s}`)))
        .map((id) => Math.max(...STATUSES.map((s) => receiver.statuses.get(`${id}:${s}`).first)) - accepted.get(id).t0),
    );
    // The same latency as tenant-store recorded it (its transaction time minus ingest's accept
    // time, one clock), free of this load generator's own scheduling.
    const server = (
      await platformQuery(
        `SELECT count(*)::int AS n, percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - network_timestamp) * 1000) AS p,
                max(extract(epoch FROM received_at - network_timestamp) * 1000) AS max
           FROM tenant_store.messages WHERE tenant_id = $1 AND message_id = ANY($2)`,
        [tenantId, rec.ids],
      )
    )[0];
    const serverLatency = {
      n: server.n,
      p50: server.p?.[0] ?? null,
      p95: server.p?.[1] ?? null,
      p99: server.p?.[2] ?? null,
      max: server.max === null ? null : Number(server.max),
    };
    const http = percentiles(rec.httpAccepted);
    const httpRefused = percentiles(rec.httpRefused);
    const nRefused = Object.values(rec.refused).reduce((a, b) => a + b, 0);
    const nRejected = Object.values(rec.rejected).reduce((a, b) => a + b, 0);
    const nFailed = Object.values(rec.failed).reduce((a, b) => a + b, 0);
    // Per business message stored in the window (the database's count: it includes sends that
    // failed but landed, whose work the window holds too).
    const storedInPhase = Math.max(1, counts.business - countsBefore.business);
    const landed = Math.max(0, counts.business - countsBefore.business - stored.length);
    const perMessage = (s) => (s === null ? null : (1000 * s) / storedInPhase);
    const totalEvents = Object.entries(events)
      .filter(([t]) => !t.startsWith('__'))
      .reduce((a, [, n]) => a + n, 0);
    const notices = counts.system - countsBefore.system;

    console.log(
      `  sends: ${fmt(loop.offered)} offered ${loop.issuedSeconds ? `over ${loop.issuedSeconds.toFixed(1)} s (${fmt(loop.offered / loop.issuedSeconds)}/s), last answer at ${((sendsDone - started) / 1000).toFixed(1)} s` : `in ${((sendsDone - started) / 1000).toFixed(1)} s (${fmt(loop.offered / ((sendsDone - started) / 1000))}/s)`}: ${fmt(rec.ids.length)} accepted, ${fmt(nRefused)} refused${nRefused ? ` ${JSON.stringify(rec.refused)}` : ''}, ${fmt(nFailed)} failed${nFailed ? ` ${JSON.stringify(rec.failed)}` : ''}${nRejected ? `, ${fmt(nRejected)} other errors ${JSON.stringify(rec.rejected)} (${rec.rejectedExample})` : ''}${loop.skipped ? `, ${fmt(loop.skipped)} skipped (${inFlight} in flight)` : ''}`,
    );
    console.log(
      `  throughput ${fmt(throughput)} messages/s (first send → last stored); all statuses and webhooks in ${((settledAt - started) / 1000).toFixed(1)} s`,
    );
    console.log(
      `  send→stored   p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (${fmt(latency.n)} messages)`,
    );
    console.log(
      `  accepted→stored as tenant-store recorded it: p50 ${ms(serverLatency.p50)}, p95 ${ms(serverLatency.p95)}, p99 ${ms(serverLatency.p99)}, max ${ms(serverLatency.max)}`,
    );
    console.log(
      `  HTTP send     p50 ${ms(http.p50)}, p99 ${ms(http.p99)}, max ${ms(http.max)} (accepted)${httpRefused.n ? `; refused answered p50 ${ms(httpRefused.p50)}, p99 ${ms(httpRefused.p99)}` : ''}`,
    );
    console.log(
      `  send→3 status webhooks p50 ${ms(webhookLatency.p50)}, p99 ${ms(webhookLatency.p99)}, max ${ms(webhookLatency.max)}`,
    );
    const breakdown = await stages(rec.ids);
    if (breakdown.error) console.log(`  stages: not available (${breakdown.error})`);
    else {
      console.log("  stages (p50 / p99 / max, from the platform's own timestamps):");
      for (const [stage, p] of Object.entries(breakdown)) {
        console.log(`    ${stage.padEnd(58)} ${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)}`);
      }
    }
    const cpuParts = [
      ...Object.entries(cpu.apps).map(([a, s]) => `${a} ${fmt(perMessage(s), 2)}`),
      `kafka ${fmt(perMessage(cpu.kafka), 2)}`,
      `postgres ${fmt(perMessage(cpu.postgres), 2)}`,
    ];
    console.log(
      `  CPU ms/message: ${cpuParts.join(', ')} → path total ${fmt(perMessage(cpu.path), 2)} ms (target ≤ 1.5); load generator ${fmt(perMessage(cpu.loadGenerator), 2)} (not in the path)`,
    );
    console.log(
      `    (per message of the ${fmt(storedInPhase)} stored in the window${landed ? `, ${fmt(landed)} of them from failed sends` : ''}; ${fmt(cpu.path, 1)} CPU s in ${cpu.seconds.toFixed(1)} s = ${fmt(cpu.path / cpu.seconds, 2)} cores, of which idle baseline ${fmt(report.idleCores.path, 2)}; postgres: ${cpu.postgresDetail ? `${cpu.postgresDetail.processesAtEnd} processes, ${cpu.postgresDetail.appeared} appeared, ${cpu.postgresDetail.exited} exited` : 'not measured'})`,
    );
    const eventList = Object.entries(events)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${fmt(n / storedInPhase, 2)}`);
    if (appStages.length) {
      console.log("  the apps' stage histograms (/metrics; count, mean, ~p50, ~p99 from buckets):");
      for (const r of appStages.slice(0, 12)) {
        console.log(
          `    ${`${r.app}: ${r.stage} ${r.topic ?? ''}${r.group ? ` [${r.group}]` : ''}`.padEnd(78)} ${fmt(r.count).padStart(7)}  ${ms(r.mean)}  ${ms(r.p50)}  ${ms(r.p99)}`,
        );
      }
    }
    console.log(
      `  Kafka events/message: ${eventList.join(', ')} → ${fmt(totalEvents / storedInPhase, 2)} in total${notices ? ` (includes ${fmt(notices)} hosted notices to first-contact customers)` : ''}`,
    );

    report.phases[phase] = {
      offered: loop.offered,
      rate: phase === 'closed' ? null : rate,
      concurrency: phase === 'closed' ? CONCURRENCY : null,
      sendSeconds: (sendsDone - started) / 1000,
      issuedSeconds: loop.issuedSeconds,
      settleSeconds: (settledAt - started) / 1000,
      accepted: rec.ids.length,
      refused: rec.refused,
      failed: rec.failed,
      otherErrors: rec.rejected,
      skipped: loop.skipped,
      stored: stored.length,
      throughput,
      sendToStoredMs: latency,
      acceptedToStoredInDbMs: serverLatency,
      httpAcceptedMs: http,
      stagesMs: breakdown,
      httpRefusedMs: httpRefused,
      sendToWebhooksMs: webhookLatency,
      cpuSeconds: cpu,
      cpuMsPerMessage: {
        ...Object.fromEntries(Object.entries(cpu.apps).map(([a, s]) => [a, perMessage(s)])),
        kafka: perMessage(cpu.kafka),
        postgres: perMessage(cpu.postgres),
        path: perMessage(cpu.path),
        loadGenerator: perMessage(cpu.loadGenerator),
      },
      events,
      eventsPerMessage: Object.fromEntries(Object.entries(events).map(([t, n]) => [t, n / storedInPhase])),
      totalEventsPerMessage: totalEvents / storedInPhase,
      messagesStoredInWindow: storedInPhase,
      landedFailedSends: landed,
      hostedNotices: notices,
      appStagesMs: appStages,
      offsets: { before: byLogical(offsetsBefore), after: byLogical(offsetsAfter) },
    };
  }

  // ---- counts that must agree ----------------------------------------------------------------
  // A phase that did not settle in time gets another bounded wait here, so that slow is not
  // counted as lost.
  {
    const all = [...accepted.keys()];
    const deadline = Date.now() + SETTLE_S * 1000;
    let lastPrint = Date.now();
    for (;;) {
      const c = await dbCounts();
      const hooks = receiver.complete(all);
      if (
        (c.business >= all.length && c.statuses >= STATUSES.length * all.length && hooks >= all.length) ||
        Date.now() > deadline
      )
        break;
      if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        console.log(
          `  … waiting for the rest: rows ${fmt(c.business)}/${fmt(all.length)}, statuses ${fmt(c.statuses)}/${fmt(STATUSES.length * all.length)}, complete webhooks ${fmt(hooks)}/${fmt(all.length)}`,
        );
      }
      await sleep(500);
    }
  }
  // The webhooks as received so far, taken before the rows are read: a failed send that lands
  // meanwhile then has its rows read with it, rather than a webhook of a message not yet read.
  const hooksSeen = new Map([...receiver.statuses].map(([key, h]) => [key, { count: h.count }]));
  const rows = await platformQuery(
    `SELECT message_id FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'business'`,
    [tenantId],
  );
  const statusRows = await platformQuery(
    `SELECT s.message_id, s.status FROM tenant_store.message_statuses s JOIN tenant_store.messages m USING (message_id) WHERE s.tenant_id = $1 AND m.origin = 'business'`,
    [tenantId],
  );
  const systemHooks = await platformQuery(
    `SELECT message_id FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'system'`,
    [tenantId],
  );
  // Ingest's own record of its deliveries (so a missing webhook reads as pending or lost).
  const deliveries = await platformQuery(
    `SELECT state, count(*)::int AS n, sum(attempts)::int AS attempts FROM ingest.webhook_deliveries WHERE tenant_id = $1 AND kind = 'status' GROUP BY state`,
    [tenantId],
  ).catch((e) => [{ state: `unknown (${e.message})`, n: 0, attempts: 0 }]);
  await db.end();
  const deliveryStates = Object.fromEntries(deliveries.map((d) => [d.state, d.n]));
  const storedIds = new Set(rows.map((r) => r.message_id));
  const statusSet = new Set(statusRows.map((r) => `${r.message_id}:${r.status}`));
  const ids = [...accepted.keys()];
  const missingRows = ids.filter((id) => !storedIds.has(id)).length;
  const unexpectedRows = [...storedIds].filter((id) => !accepted.has(id)).length;
  // A send that failed after its request went out (no answer in time, connection reset) may have landed.
  const timeouts = Object.values(report.phases).reduce(
    (a, p) => a + Object.values(p.failed).reduce((x, y) => x + y, 0),
    0,
  );
  let missingStatuses = 0;
  let missingHooks = 0;
  let duplicateHooks = 0;
  for (const id of ids) {
    for (const s of STATUSES) {
      if (!statusSet.has(`${id}:${s}`)) missingStatuses += 1;
      const h = hooksSeen.get(`${id}:${s}`);
      if (!h) missingHooks += 1;
      else duplicateHooks += h.count - 1;
    }
  }
  // Statuses that are not sent/delivered/read of an accepted send: `failed` ones, and those of
  // failed sends that landed anyway.
  const landedStatuses = statusRows.filter((r) => !accepted.has(r.message_id)).length;
  const otherStatuses = statusRows.filter((r) => accepted.has(r.message_id) && !STATUSES.includes(r.status)).length;
  const systemIds = new Set(systemHooks.map((r) => r.message_id));
  let systemHookItems = 0;
  let strangerHookItems = 0;
  let timedOutHookItems = 0;
  for (const [key, h] of hooksSeen) {
    const id = key.slice(0, key.lastIndexOf(':'));
    if (accepted.has(id)) continue;
    if (systemIds.has(id)) systemHookItems += h.count;
    else if (storedIds.has(id))
      timedOutHookItems += h.count; // a send that failed, yet landed
    else strangerHookItems += h.count;
  }
  const table = [
    ['sends accepted (HTTP 200, incl. warm-up)', ids.length, ''],
    [
      'accepted sends stored (business message rows)',
      ids.length - missingRows,
      missingRows ? `${missingRows} accepted but not stored` : 'each accepted one, once',
    ],
    [
      '  stored but never accepted',
      unexpectedRows,
      unexpectedRows
        ? `${unexpectedRows > timeouts ? 'MORE than' : 'at most'} the ${timeouts} failed sends (outcome unknown)`
        : '',
    ],
    ['  stored events seen twice', storedDuplicates, 'replays (harmless: rows are keyed by message id)'],
    [
      'their statuses stored (sent/delivered/read rows)',
      ids.length * STATUSES.length - missingStatuses,
      missingStatuses
        ? `${missingStatuses} missing of ${ids.length * STATUSES.length}`
        : `${STATUSES.length} per message`,
    ],
    ['  statuses of failed sends that landed', landedStatuses, ''],
    ['  other statuses (failed)', otherStatuses, ''],
    [
      'their status webhooks received (distinct)',
      ids.length * STATUSES.length - missingHooks,
      missingHooks ? `${missingHooks} missing` : 'every (message, status)',
    ],
    ['  duplicate status webhooks', duplicateHooks, 'delivered more than once'],
    ['  webhooks of hosted notices (system)', systemHookItems, `${systemIds.size} notices stored`],
    ['  webhooks of failed sends that landed', timedOutHookItems, ''],
    ['  webhooks of unknown messages', strangerHookItems, ''],
    [
      '  ingest: status deliveries by state',
      deliveries.reduce((a, d) => a + d.n, 0),
      `${deliveries.map((d) => `${d.state} ${d.n}`).join(', ')} (${deliveries.reduce((a, d) => a + (d.attempts ?? 0), 0)} attempts)`,
    ],
    [
      '  bad signatures / malformed POSTs',
      receiver.stats.badSignature + receiver.stats.malformed,
      `${receiver.stats.posts} POSTs in all`,
    ],
  ];
  console.log('\ncounts (database and receiver; they must agree):');
  for (const [label, n, note] of table) console.log(`  ${label.padEnd(50)} ${fmt(n).padStart(9)}  ${note}`);
  const agree =
    missingRows === 0 &&
    unexpectedRows <= timeouts &&
    missingStatuses === 0 &&
    missingHooks === 0 &&
    strangerHookItems === 0;
  console.log(agree ? '  → the counts agree' : '  → THE COUNTS DISAGREE');
  report.countsAgree = agree;
  report.counts = {
    accepted: ids.length,
    storedRows: storedIds.size,
    missingRows,
    unexpectedRows,
    failedSends: timeouts,
    storedEventDuplicates: storedDuplicates,
    statusRows: statusRows.length,
    missingStatuses,
    otherStatuses,
    landedStatuses,
    webhooksDistinct: ids.length * STATUSES.length - missingHooks,
    missingWebhooks: missingHooks,
    duplicateWebhooks: duplicateHooks,
    systemNoticeWebhooks: systemHookItems,
    systemNotices: systemIds.size,
    unknownWebhooks: strangerHookItems,
    timedOutSendWebhooks: timedOutHookItems,
    receiver: receiver.stats,
    ingestStatusDeliveries: deliveryStates,
  };

  await observer.disconnect();
  await admin.deleteGroups([observerGroup]).catch(() => undefined);
  send.close();
  // The ceilings republish real events of the run: read them back now, before the apps stop
  // (stopping deletes the environment's topics), from the reference phase's offset ranges.
  const refName = ['closed', 'open', 'overload'].find((p) => phaseOffsets[p]);
  if (PHASES.includes('ceilings') && refName) {
    const { before, after } = phaseOffsets[refName];
    const wanted = Object.keys(after).filter((t) => (report.phases[refName].eventsPerMessage[logical(t)] ?? 0) > 0);
    ceilingInput = {
      refName,
      samples: byLogical(await sampleEvents(kafka, before, Object.fromEntries(wanted.map((t) => [t, after[t]])))),
      layout: byLogical(await topicLayout(admin, wanted)),
    };
  }
  await apps.stop();
  running = undefined;
  await receiver.stop();
  receiver = undefined;
}

// ---- ceilings ------------------------------------------------------------------------------------
async function runCeilings(kafka, admin, stack) {
  // CPU of the broker, PostgreSQL and this process (the producers, or tenant-store's storing code) during each ceiling.
  const probe = () => sample({ apps: {}, kafka: stack.kafka, postgres: stack.postgres });
  if (!ceilingInput) {
    warn('ceilings need a measured phase (their event mix and sizes come from it): skipped');
    return;
  }
  const { refName, samples, layout } = ceilingInput;
  const ref = report.phases[refName];
  const others = await otherEnvironments(admin, (g) => g.startsWith('bench-'));
  if (others.length)
    warn(
      `ceilings: other consumer groups are active on this broker (${others.slice(0, 6).join(', ')}): the ceilings are not measured alone`,
    );
  console.log(`\n== ceilings (apps stopped; event mix and sizes of the ${refName} phase)`);
  const epm = Object.fromEntries(Object.entries(ref.eventsPerMessage).filter(([t, n]) => !t.startsWith('__') && n > 0));
  const sizes = Object.fromEntries(
    Object.entries(samples).map(([t, list]) => [
      t,
      list.length ? list.reduce((a, m) => a + (m.value?.length ?? 0), 0) / list.length : null,
    ]),
  );
  console.log(
    `  event sizes (mean bytes of value, sampled): ${Object.entries(sizes)
      .map(([t, b]) => `${t} ${fmt(b)}`)
      .join(', ')}`,
  );
  report.ceilings = { reference: refName, eventBytes: sizes };
  const totalEpm = Object.values(epm).reduce((a, b) => a + b, 0);
  try {
    const k = await kafkaCeiling({
      admin,
      samples,
      layout,
      eventsPerMessage: epm,
      messages: ref.stored || N,
      maxSeconds: CEILING_SECONDS,
      callers: CONCURRENCY,
      probe,
    });
    const kcpu = cpuBetween(...k.probes);
    delete k.probes;
    const pathEvents = Object.entries(ref.events)
      .filter(([t]) => !t.startsWith('__'))
      .reduce((a, [, n]) => a + n, 0);
    const brokerPerEvent = {
      ceiling: kcpu.kafka === null ? null : (1e6 * kcpu.kafka) / k.events,
      path: ref.cpuSeconds.kafka === null ? null : (1e6 * ref.cpuSeconds.kafka) / Math.max(1, pathEvents),
    };
    const efficiency = (ref.throughput * totalEpm) / k.eventsPerSecond;
    console.log(
      `  Kafka: ${fmt(k.eventsPerSecond)} events/s (${fmt(k.events)} events in ${k.seconds.toFixed(1)} s; ${k.producers} idempotent producers, acks=all, ${k.callersPerProducer} publishers each, ${k.coalescing}) = ${fmt(k.eventsPerSecond / totalEpm)} messages/s at ${fmt(totalEpm, 2)} events/message`,
    );
    console.log(
      `    path efficiency: ${fmt(ref.throughput)} messages/s × ${fmt(totalEpm, 2)} events ÷ ${fmt(k.eventsPerSecond)} events/s = ${percent(efficiency)} of the broker's ceiling`,
    );
    console.log(
      `    broker CPU per event: ${fmt(brokerPerEvent.ceiling)} µs in the ceiling, ${fmt(brokerPerEvent.path)} µs on the path (producers in this process: ${fmt((1e6 * kcpu.loadGenerator) / k.events)} µs/event)`,
    );
    report.ceilings.kafka = { ...k, efficiency, brokerCpuMicrosPerEvent: brokerPerEvent, cpuSeconds: kcpu };
  } catch (error) {
    warn(`Kafka ceiling failed: ${error.message}`);
    report.ceilings.kafkaError = String(error.stack ?? error);
    console.error(
      String(error.stack ?? error)
        .split('\n')
        .slice(0, 8)
        .join('\n'),
    );
  }
  // Batches like the consumers': their mean chunk in the reference phase (events seen by the
  // consume-lag histogram ÷ handler calls, per consumer group), unless --store-batch says otherwise.
  const meanChunk = (group) => {
    const rows = (ref.appStagesMs ?? []).filter((r) => r.app === 'tenant-store' && r.group === group);
    const seen = rows.filter((r) => r.stage.startsWith('consume lag')).reduce((a, r) => a + r.count, 0);
    const calls = rows.filter((r) => r.stage.startsWith('handler')).reduce((a, r) => a + r.count, 0);
    return seen > 0 && calls > 0 ? Math.max(1, Math.round(seen / calls)) : undefined;
  };
  const batch = STORE_BATCH ?? meanChunk('tenant-store-messages') ?? 100;
  const statusBatch = STORE_BATCH ?? meanChunk('tenant-store-statuses') ?? batch;
  const batchSource = STORE_BATCH
    ? '--store-batch'
    : meanChunk('tenant-store-messages')
      ? "the consumers' mean chunk in the run"
      : 'default';
  try {
    const s = await storeCeiling({
      customers: CUSTOMERS,
      batch,
      statusBatch,
      parallel: 3,
      maxSeconds: CEILING_SECONDS,
      probe,
    });
    const scpu = cpuBetween(...s.probes);
    delete s.probes;
    const perMsg = (sec, n) => (sec === null ? null : (1000 * sec) / n);
    const storeCpu = {
      ceiling: { postgres: perMsg(scpu.postgres, s.messages), storingCode: perMsg(scpu.loadGenerator, s.messages) },
      path: { postgres: ref.cpuMsPerMessage.postgres, tenantStore: ref.cpuMsPerMessage['tenant-store'] },
    };
    const share = ref.throughput / s.messagesPerSecond;
    console.log(
      `  PostgreSQL (tenant-store's storeMessages/storeStatuses, FieldCipher, RLS, outbox; ${s.parallel} in flight, ${s.batch} messages / ${s.statusBatch} statuses per call: ${batchSource}): ${fmt(s.messagesPerSecond)} messages/s with their 3 statuses = ${fmt(s.rowsPerSecond)} rows/s (${fmt(s.messages)} messages, ${fmt(s.statuses)} statuses in ${s.seconds.toFixed(1)} s)`,
    );
    console.log(
      `    path share: ${fmt(ref.throughput)} ÷ ${fmt(s.messagesPerSecond)} messages/s = ${percent(share)} of the store's ceiling`,
    );
    console.log(
      `    CPU per message with its statuses: PostgreSQL ${fmt(storeCpu.ceiling.postgres, 2)} ms + storing code ${fmt(storeCpu.ceiling.storingCode, 2)} ms in the ceiling; on the path PostgreSQL (all of it, ingest's webhook queue included) ${fmt(storeCpu.path.postgres, 2)} ms + tenant-store ${fmt(storeCpu.path.tenantStore, 2)} ms`,
    );
    report.ceilings.postgres = { ...s, share, cpuMsPerMessage: storeCpu, cpuSeconds: scpu };
  } catch (error) {
    warn(`PostgreSQL ceiling failed (tenant-store's storing code changed?): ${error.message}`);
    report.ceilings.postgresError = String(error.stack ?? error);
  }
}

main().catch(async (error) => {
  console.error(
    `bench:messages: ${error.stack ?? error.message}${error.cause ? `\ncause: ${error.cause.stack ?? error.cause}` : ''}`,
  );
  await running?.stop().catch(() => undefined);
  await receiver?.stop().catch(() => undefined);
  if (args.json) {
    report.error = String(error.stack ?? error);
    try {
      writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    } catch {
      /* the error above is what matters */
    }
  }
  process.exit(1);
});
