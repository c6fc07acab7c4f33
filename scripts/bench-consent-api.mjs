// npm run bench:consent-api [-- --customers N] [--concurrency N] [--stops N] [--stop-rate N]
// The consent service's hot paths, as built processes on loopback (tenant-store and consent, the
// local Kafka broker and PostgreSQL, a database and topics of its own):
//  1. grants: per customer, the opt-in prompt shown and the grant that cites it (two API requests),
//     closed loop with --concurrency clients;
//  2. revokes: one API request per customer; 3. reads: a customer's current consent;
//  4. in-chat STOP → revoke appended: customers' STOP messages published to the inbound topic as
//     ingest would, open loop at --stop-rate per second; the latency is from the publish to the
//     revoke's `recorded_at` in the consent log.
// Prints requests/s, latency percentiles and CPU per request of consent, PostgreSQL and the broker
// (from /proc). Bounded (a deadline for every wait); loopback only; stops by itself.
import { cpus, loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { closedLoop, percentiles } from './lib/bench-load.mjs';
import { cpuBetween, findStackPids, sample } from './lib/bench-proc.mjs';
import { contentSealer, inboundTextMessage, numberFlag } from './lib/bench-events.mjs';
import { startProcesses, Topics } from './lib/platform-processes.mjs';
import { requireStackEnv } from './lib/stack-env.mjs';

const root = new URL('..', import.meta.url).pathname;

const args = process.argv.slice(2);
const flag = (name, fallback) => numberFlag(args, name, fallback);
const N = Math.min(flag('customers', 3000), 50_000);
const CONCURRENCY = flag('concurrency', 64);
const STOPS = Math.min(flag('stops', 1000), 20_000);
const STOP_RATE = flag('stop-rate', 100);
const DEADLINE = Date.now() + 15 * 60_000;
requireStackEnv('npm run bench:consent-api');
const fmt = (n, d = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '—'
    : Number(n).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ms = (v) => `${fmt(v, 1)} ms`;

console.log(
  `bench:consent-api — ${fmt(N)} customers, ${CONCURRENCY} clients, ${fmt(STOPS)} STOPs at ${STOP_RATE}/s; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const procs = await startProcesses({ apps: ['tenant-store', 'consent'] });
const stack = findStackPids(root);
const db = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
const sealPool = new pg.Pool({ connectionString: process.env.MIGRATION_DATABASE_URL, max: 2, allowExitOnIdle: true });
const seal = contentSealer({ masterKeyFile: procs.env.MASTER_KEY_FILE, pool: sealPool });
const kafka = new Kafka({
  clientId: 'bench-consent',
  brokers: process.env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
let failed = false;
try {
  await db.connect();
  await db.query(`SELECT set_config('custody.platform', 'on', false)`);
  await producer.connect();
  const store = procs.url('tenant-store');
  const consent = procs.url('consent');
  const token = procs.token;
  const operator = await token(procs.env.OPERATOR_CLIENT_ID, procs.env.OPERATOR_CLIENT_SECRET);
  const suffix = String(Date.now()).slice(-9);
  const phoneNumberId = `61${suffix}`;
  const created = await fetch(`${store}/v1/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
    body: JSON.stringify({
      displayName: 'Consent Bench',
      appSecret: 'bench-app-secret-bench-app-secret',
      businessAccountId: `60${suffix}`,
      phoneNumbers: [{ phoneNumberId, displayPhoneNumber: `+1555${suffix.slice(-7)}` }],
    }),
  }).then((r) => r.json());
  const tenantId = created.tenant.id;
  const bearer = `Bearer ${await token(created.credentials.clientId, created.credentials.clientSecret)}`;
  const post = async (path, body) => {
    const t0 = performance.now();
    const res = await fetch(`${consent}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const json = await res.json().catch(() => undefined);
    return { status: res.status, json, ms: performance.now() - t0 };
  };
  const get = async (path) => {
    const t0 = performance.now();
    const res = await fetch(`${consent}${path}`, {
      headers: { authorization: bearer },
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  };
  const purpose = await post('/v1/consent/purposes', {
    key: 'ads',
    dataUse: 'marketing.advertising',
    wording: { language: 'en', text: 'Bench may use our chats to show you ads.' },
  });
  if (purpose.status >= 300) throw new Error(`purpose: HTTP ${purpose.status} ${JSON.stringify(purpose.json)}`);
  const base = 155520000000 + Math.floor(Math.random() * 1000) * 1_000_000;
  const customers = Array.from({ length: N + STOPS }, (_, i) => String(base + i));
  const stoppers = customers.slice(N);

  const pids = { apps: { consent: procs.pids.consent }, kafka: stack.kafka, postgres: stack.postgres };
  const results = [];
  const phase = async (name, items, requestsPer, work) => {
    const latencies = [];
    const statuses = {};
    const before = sample(pids);
    const t0 = performance.now();
    await closedLoop({
      n: items.length,
      concurrency: CONCURRENCY,
      sendOne: async (i) => {
        for (const r of await work(items[i])) {
          latencies.push(r.ms);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuBetween(before, sample(pids));
    const requests = items.length * requestsPer;
    const p = percentiles(latencies);
    const perRequest = (v) => (v === null ? null : (v * 1000) / requests);
    const row = {
      name,
      requests,
      seconds,
      rate: requests / seconds,
      p,
      statuses,
      cpuMs: {
        consent: perRequest(cpu.apps.consent),
        postgres: perRequest(cpu.postgres),
        kafka: perRequest(cpu.kafka),
        total: perRequest((cpu.apps.consent ?? 0) + (cpu.postgres ?? 0) + (cpu.kafka ?? 0)),
      },
    };
    results.push(row);
    console.log(
      `  ${name.padEnd(34)} ${fmt(requests).padStart(6)} requests in ${seconds.toFixed(1)} s = ${fmt(row.rate).padStart(5)} requests/s; p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, p99 ${ms(p.p99)}, max ${ms(p.max)}; statuses ${JSON.stringify(statuses)}; CPU ms/request: consent ${fmt(row.cpuMs.consent, 2)}, postgres ${fmt(row.cpuMs.postgres, 2)}, kafka ${fmt(row.cpuMs.kafka, 2)} → ${fmt(row.cpuMs.total, 2)}`,
    );
    if (Object.keys(statuses).some((s) => !s.startsWith('2'))) failed = true;
  };
  const grant = async (waId) => {
    const prompt = await post('/v1/consent/prompts', { customer: { waId }, language: 'en', purposes: ['ads'] });
    const record = await post('/v1/consent/records', {
      customer: { waId },
      purpose: 'ads',
      action: 'grant',
      method: 'api',
      promptId: prompt.json?.id,
    });
    return [prompt, record];
  };
  console.log('\n== the consent API, closed loop');
  await phase('warm-up (not measured)', customers.slice(0, Math.min(200, N)), 2, grant);
  results.pop();
  await phase('prompt + grant', [...customers.slice(Math.min(200, N), N), ...stoppers], 2, grant);
  await phase('revoke', customers.slice(0, N), 1, async (waId) => [
    await post('/v1/consent/records', { customer: { waId }, purpose: 'ads', action: 'revoke', method: 'api' }),
  ]);
  await phase("read a customer's consent", customers.slice(0, N), 1, async (waId) => [
    await get(`/v1/consent/customers/${waId}`),
  ]);

  // In-chat STOP → revoke appended, open loop.
  console.log(`\n== in-chat STOP → revoke appended, ${STOP_RATE}/s open loop`);
  const publishedAt = new Map();
  const before = sample(pids);
  const t0 = Date.now();
  const pending = [];
  for (let i = 0; i < stoppers.length; i += 1) {
    const due = t0 + (i * 1000) / STOP_RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const waId = stoppers[i];
    const messageId = `wamid.benchstop${suffix}${i}`;
    const at = new Date();
    publishedAt.set(messageId, at.getTime());
    const message = await inboundTextMessage({ tenantId, phoneNumberId, waId, messageId, text: 'STOP', at, seal });
    pending.push(
      producer.send({
        topic: procs.topics.name(Topics.MessagesInbound),
        acks: -1,
        messages: [message],
      }),
    );
  }
  await Promise.all(pending);
  const offered = (Date.now() - t0) / 1000;
  // The revokes of these STOPs only (the API phase's revokes end just before), by the STOP's id.
  let rows = [];
  for (;;) {
    ({ rows } = await db.query(
      `SELECT message_id, recorded_at FROM (
         SELECT convert_from(entry, 'UTF8')::jsonb -> 'evidence' ->> 'messageId' AS message_id, recorded_at
           FROM consent.log_entries WHERE tenant_id = $1 AND kind = 'consent.revoked' AND recorded_at >= $2) r
        WHERE message_id = ANY($3::text[])`,
      [tenantId, new Date(t0 - 1000), [...publishedAt.keys()]],
    ));
    if (rows.length >= stoppers.length || Date.now() > DEADLINE) break;
    await sleep(250);
  }
  const cpu = cpuBetween(before, sample(pids));
  const latencies = rows.map((r) => new Date(r.recorded_at).getTime() - publishedAt.get(r.message_id));
  const p = percentiles(latencies);
  const perStop = (v) => (v === null ? null : (v * 1000) / Math.max(1, latencies.length));
  console.log(
    `  ${fmt(stoppers.length)} STOPs published over ${offered.toFixed(1)} s; ${fmt(latencies.length)} revokes appended; STOP → revoke appended p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, p99 ${ms(p.p99)}, max ${ms(p.max)} (goal p99 ≤ 500 ms); CPU ms/STOP: consent ${fmt(perStop(cpu.apps.consent), 2)}, postgres ${fmt(perStop(cpu.postgres), 2)}, kafka ${fmt(perStop(cpu.kafka), 2)}`,
  );
  if (latencies.length !== stoppers.length) {
    console.log(`  FAILED: ${stoppers.length - latencies.length} STOPs without a revoke in the log`);
    failed = true;
  }
  console.log(
    `\nload average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await producer.disconnect().catch(() => undefined);
  await db.end().catch(() => undefined);
  await procs.stop();
}
process.exit(failed ? 1 : 0);
