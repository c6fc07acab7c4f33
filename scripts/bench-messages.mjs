// npm run bench:messages [-- --messages N (--concurrency C | --rate R) --customers K]
// Sends N messages through the whole path (HTTP send → ingest → Kafka → tenant-store →
// PostgreSQL) and prints throughput and send→stored latency percentiles; then, in the same run,
// the raw ceilings: Kafka produce alone and PostgreSQL insert alone, and the ratios.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { startProcesses, Topics } from './lib/platform-processes.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split('--')
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/)),
);
const N = Number(args.messages ?? 20000);
const CONCURRENCY = Number(args.concurrency ?? 64);
// --rate R: open loop, a send every 1/R s whatever the answers (latency at a given load, not
// inflated by the load generator queueing behind its own slow requests); at most 512 in flight.
const RATE = args.rate ? Number(args.rate) : undefined;
const CUSTOMERS = Number(args.customers ?? 5000);
const NUMBERS = 8; // phone numbers, 1,000 messages/s each
for (const v of ['KAFKA_BROKERS', 'DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
  if (!process.env[v]) throw new Error(`${v} is not set (run through npm run bench:messages)`);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const TICKS = 100; // USER_HZ on Linux
/** CPU seconds (user + system) each app process has used so far, from /proc. */
function cpuSeconds(pids) {
  return Object.fromEntries(
    Object.entries(pids).map(([app, pid]) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return [app, (Number(fields[11]) + Number(fields[12])) / TICKS];
    }),
  );
}

async function startApps() {
  const procs = await startProcesses({
    apps: ['tenant-store', 'ingest', 'sandbox'],
    env: { NETWORK_DUPLICATE_PERCENT: '0' },
    consumerGroups: 5,
  });
  running = procs;
  return {
    env: procs.env,
    stop: procs.stop,
    pids: procs.pids,
    topics: procs.topics,
    store: procs.url('tenant-store'),
    ingest: procs.url('ingest'),
  };
}

let running;

async function main() {
  console.log(
    `bench:messages — ${fmt(N)} messages, ${RATE ? `open loop at ${fmt(RATE)}/s` : `concurrency ${CONCURRENCY}`}, ${fmt(CUSTOMERS)} customers, ${NUMBERS} numbers × 1,000/s, node ${process.version}`,
  );
  const apps = await startApps();
  const form = (o) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(o),
  });
  const op = await (
    await fetch(
      `${apps.store}/v1/oauth/token`,
      form({
        grant_type: 'client_credentials',
        client_id: apps.env.OPERATOR_CLIENT_ID,
        client_secret: apps.env.OPERATOR_CLIENT_SECRET,
      }),
    )
  ).json();
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({
    phoneNumberId: `9${Date.now()}${i}`.slice(0, 15),
    displayPhoneNumber: `+1555990${String(i).padStart(4, '0')}`,
  }));
  const created = await (
    await fetch(`${apps.store}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${op.access_token}` },
      body: JSON.stringify({
        businessAccountId: `8${Date.now()}`,
        displayName: 'Bench',
        phoneNumbers: numbers,
        appSecret: randomBytes(20).toString('hex'),
        messagesPerSecond: 1000,
      }),
    })
  ).json();
  const tok = await (
    await fetch(
      `${apps.store}/v1/oauth/token`,
      form({
        grant_type: 'client_credentials',
        client_id: created.credentials.clientId,
        client_secret: created.credentials.clientSecret,
      }),
    )
  ).json();
  const auth = `Bearer ${tok.access_token}`;
  const tenantId = created.tenant.id;

  // Wait until ingest routes every number (one warm-up send each).
  for (const n of numbers) {
    for (let i = 0; ; i += 1) {
      const r = await fetch(`${apps.ingest}/v25.0/${n.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: '15550000000',
          type: 'template',
          template: { name: 'warmup', language: { code: 'en' } },
        }),
      });
      if (r.status === 200) break;
      if (i > 600) throw new Error(`ingest never routed ${n.phoneNumberId}: HTTP ${r.status}`);
      await new Promise((r2) => setTimeout(r2, 200));
    }
  }

  // Stored-time of each message, from tenant-store's `stored` events.
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-observer-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: apps.topics.name(Topics.MessagesStored), fromBeginning: false });
  // A message's `stored` event can reach this observer before its HTTP response reaches the
  // sender (the response and the event race on a loaded machine), so both times are kept and
  // matched at the end rather than looked up on arrival.
  const sentAt = new Map();
  const storedAt = new Map();
  let lastStored = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const e = JSON.parse(m.value.toString());
        const id = e.message?.messageId;
        if (id && e.message.origin === 'business' && !storedAt.has(id)) {
          storedAt.set(id, now);
          lastStored = now;
        }
      }
    },
  });
  // Let the observer join its group and take its partitions before anything is sent.
  for (let i = 0; i < 300; i += 1) {
    const g = await consumer.describeGroup();
    if (g.state === 'Stable' && g.members.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));

  const template = (to) =>
    JSON.stringify({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: 'bench', language: { code: 'en' } },
    });
  let next = 0;
  let errors = 0;
  const cpuBefore = cpuSeconds(apps.pids);
  const started = performance.now();
  const sendOne = async (i) => {
    const number = numbers[i % NUMBERS].phoneNumberId;
    const to = `1555${String(1000000 + (i % CUSTOMERS)).padStart(7, '0')}`;
    const t0 = performance.now();
    const res = await fetch(`${apps.ingest}/v25.0/${number}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: template(to),
    });
    const body = await res.json();
    if (res.status === 200) sentAt.set(body.messages[0].id, t0);
    else {
      errors += 1;
      if (errors < 5) console.error(`send failed: ${res.status} ${JSON.stringify(body)}`);
    }
  };
  if (RATE) {
    const inFlight = new Set();
    for (let i = 0; i < N; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      while (inFlight.size >= 512) await Promise.race(inFlight);
      const p = sendOne(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } else {
    const worker = async () => {
      for (let i = next++; i < N; i = next++) await sendOne(i);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  const sendDone = performance.now();
  const target = N - errors;
  const matched = () => [...sentAt.keys()].filter((id) => storedAt.has(id)).length;
  for (const deadline = Date.now() + 120_000; matched() < target && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const cpuAfter = cpuSeconds(apps.pids);
  const latencies = [...sentAt].filter(([id]) => storedAt.has(id)).map(([id, t0]) => storedAt.get(id) - t0);
  latencies.sort((a, b) => a - b);
  if (latencies.length === 0) {
    throw new Error('no message reached the store');
  }
  const e2eRate = latencies.length / ((lastStored - started) / 1000);
  console.log(
    `end to end: ${fmt(latencies.length)} stored of ${fmt(N)} (${errors} send errors); sends took ${((sendDone - started) / 1000).toFixed(1)} s`,
  );
  console.log(`  throughput ${fmt(e2eRate)} messages/s (send → stored)`);
  console.log(
    `  latency send→stored p50 ${pct(latencies, 50).toFixed(1)} ms, p95 ${pct(latencies, 95).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
  );
  console.log(
    `  CPU per message: ${Object.keys(cpuAfter)
      .map((app) => `${app} ${((1000 * (cpuAfter[app] - cpuBefore[app])) / latencies.length).toFixed(2)} ms`)
      .join(', ')} (each message also brings its sent/delivered/read statuses)`,
  );
  await consumer.disconnect();
  await apps.stop();

  // The same latency as tenant-store saw it (its transaction time minus ingest's accept time, one
  // clock), free of this load generator's own scheduling.
  const db = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  await db.connect();
  await db.query('BEGIN');
  await db.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantId]);
  const server = (
    await db.query(
      `SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - network_timestamp) * 1000) AS p
         FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'business'`,
      [tenantId],
    )
  ).rows[0].p;
  await db.query('COMMIT');
  await db.end();
  console.log(
    `  accepted→stored as tenant-store saw it: p50 ${server[0].toFixed(1)} ms, p95 ${server[1].toFixed(1)} ms, p99 ${server[2].toFixed(1)} ms`,
  );

  // Ceiling 1: Kafka produce alone (same message size, acks=all, idempotent, batches of 100).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sample = JSON.stringify({ pad: 'x'.repeat(620) });
  let t = performance.now();
  for (let i = 0; i < N; i += 100) {
    await producer.send({
      topic: apps.topics.name(Topics.DeadLetter),
      acks: -1,
      messages: Array.from({ length: Math.min(100, N - i) }, (_, j) => ({
        key: `bench:${(i + j) % 64}`,
        value: sample,
      })),
    });
  }
  const kafkaRate = N / ((performance.now() - t) / 1000);
  await producer.disconnect();

  // Ceiling 2: PostgreSQL insert alone (same row shape as messages, batches of 100, one transaction each).
  const client = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  await client.connect();
  await client.query(
    'CREATE TEMP TABLE bench_messages (message_id text PRIMARY KEY, tenant_id uuid, conversation_id uuid, content jsonb, network_timestamp timestamptz)',
  );
  t = performance.now();
  for (let i = 0; i < N; i += 100) {
    const ids = Array.from({ length: Math.min(100, N - i) }, (_, j) => `wamid.bench${i + j}`);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO bench_messages SELECT x, $2, $3, $4::jsonb, now() FROM unnest($1::text[]) AS x ON CONFLICT DO NOTHING`,
      [ids, tenantId, randomUUID(), JSON.stringify({ name: 'bench', language: { code: 'en' } })],
    );
    await client.query('COMMIT');
  }
  const pgRate = N / ((performance.now() - t) / 1000);
  await client.end();

  console.log(`ceilings measured in the same run:`);
  console.log(
    `  Kafka produce alone      ${fmt(kafkaRate)} messages/s → end to end is ${(e2eRate / kafkaRate).toFixed(2)}× of it`,
  );
  console.log(
    `  PostgreSQL insert alone  ${fmt(pgRate)} rows/s → end to end is ${(e2eRate / pgRate).toFixed(2)}× of it`,
  );
  process.exit(latencies.length === target ? 0 : 1);
}

main().catch(async (error) => {
  console.error(
    `bench:messages: ${error.stack ?? error.message}${error.cause ? `\ncause: ${error.cause.stack ?? error.cause}` : ''}`,
  );
  await running?.stop().catch(() => undefined);
  process.exit(1);
});
