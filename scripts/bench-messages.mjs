// npm run bench:messages [-- --messages N --concurrency C]
// Sends N messages through the whole path (HTTP send → ingest → Kafka → tenant-store →
// PostgreSQL) and prints throughput and send→stored latency percentiles; then, in the same run,
// the raw ceilings: Kafka produce alone and PostgreSQL insert alone, and the ratios.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { exportJWK, generateKeyPair } from 'jose';

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/\s+/)));
const N = Number(args.messages ?? 20000);
const CONCURRENCY = Number(args.concurrency ?? 64);
const NUMBERS = 8; // phone numbers, 1,000 messages/s each
const root = new URL('..', import.meta.url).pathname;
for (const v of ['KAFKA_BROKERS', 'DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
  if (!process.env[v]) throw new Error(`${v} is not set (run through npm run bench:messages)`);
}

const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function startApps() {
  const dir = mkdtempSync(join(tmpdir(), 'custody-bench-'));
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256' }] }));
  const masterKeyFile = join(dir, 'master-keys.json');
  writeFileSync(masterKeyFile, JSON.stringify({ keys: [{ id: 'mk-bench', key: randomBytes(32).toString('base64') }] }), { mode: 0o600 });
  const [ts, ing, sb] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    JWT_ISSUER: `http://127.0.0.1:${ts}`,
    JWT_AUDIENCE: 'custody',
    JWKS_URL: `http://127.0.0.1:${ts}/.well-known/jwks.json`,
    JWT_SIGNING_KEYS_FILE: keysFile,
    MASTER_KEY_FILE: masterKeyFile,
    OPERATOR_CLIENT_ID: 'bench-operator',
    OPERATOR_CLIENT_SECRET: randomBytes(24).toString('base64url'),
    NETWORK_HMAC_SECRET: randomBytes(24).toString('base64url'),
    NETWORK_URL: `http://127.0.0.1:${sb}`,
    INGEST_URL: `http://127.0.0.1:${ing}`,
    TENANT_STORE_PORT: String(ts),
    INGEST_PORT: String(ing),
    SANDBOX_PORT: String(sb),
    KAFKA_GROUP_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
    NETWORK_DUPLICATE_PERCENT: '0',
    // The broker may carry other environments' history: start at the end, not at all of it.
    KAFKA_NEW_GROUP_START: 'latest',
  };
  const started = ['tenant-store', 'ingest', 'sandbox'].map((app) => {
    const child = spawn(process.execPath, [join(root, 'apps', app, 'dist', 'main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => { if (code && !stopping) { console.error(`${app} exited with ${code}`); process.exit(1); } });
    return child;
  });
  children.push(...started);
  for (const port of [ts, ing, sb]) {
    for (let i = 0; ; i += 1) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (i > 300) throw new Error(`app on ${port} not ready`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const admin = new Kafka({ clientId: 'bench-admin', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  for (;;) {
    const ours = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${env.KAFKA_GROUP_PREFIX}.`));
    if (ours.length >= 5 && (await admin.describeGroups(ours)).groups.every((g) => g.state === 'Stable')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await admin.disconnect();
  return { env, children, store: `http://127.0.0.1:${ts}`, ingest: `http://127.0.0.1:${ing}` };
}

let stopping = false;
const children = [];

async function main() {
  console.log(`bench:messages — ${fmt(N)} messages, concurrency ${CONCURRENCY}, ${NUMBERS} numbers × 1,000/s, node ${process.version}`);
  const apps = await startApps();
  const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o) });
  const op = await (await fetch(`${apps.store}/v1/oauth/token`, form({ grant_type: 'client_credentials', client_id: apps.env.OPERATOR_CLIENT_ID, client_secret: apps.env.OPERATOR_CLIENT_SECRET }))).json();
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({ phoneNumberId: `9${Date.now()}${i}`.slice(0, 15), displayPhoneNumber: `+1555990${String(i).padStart(4, '0')}` }));
  const created = await (await fetch(`${apps.store}/v1/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${op.access_token}` },
    body: JSON.stringify({ businessAccountId: `8${Date.now()}`, displayName: 'Bench', phoneNumbers: numbers, appSecret: randomBytes(20).toString('hex'), messagesPerSecond: 1000 }),
  })).json();
  const tok = await (await fetch(`${apps.store}/v1/oauth/token`, form({ grant_type: 'client_credentials', client_id: created.credentials.clientId, client_secret: created.credentials.clientSecret }))).json();
  const auth = `Bearer ${tok.access_token}`;
  const tenantId = created.tenant.id;

  // Wait until ingest routes every number (one warm-up send each).
  for (const n of numbers) {
    for (let i = 0; ; i += 1) {
      const r = await fetch(`${apps.ingest}/v25.0/${n.phoneNumberId}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ messaging_product: 'whatsapp', to: '15550000000', type: 'template', template: { name: 'warmup', language: { code: 'en' } } }) });
      if (r.status === 200) break;
      if (i > 600) throw new Error(`ingest never routed ${n.phoneNumberId}: HTTP ${r.status}`);
      await new Promise((r2) => setTimeout(r2, 200));
    }
  }

  // Stored-time of each message, from tenant-store's `stored` events.
  const kafka = new Kafka({ clientId: 'bench', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-observer-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'custody.messages.stored.v1', fromBeginning: false });
  const sentAt = new Map();
  const latencies = [];
  let lastStored = 0;
  let resolveAll;
  const allStored = new Promise((r) => (resolveAll = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const e = JSON.parse(m.value.toString());
        const id = e.message?.messageId;
        const t0 = id && sentAt.get(id);
        if (t0 !== undefined) {
          latencies.push(now - t0);
          sentAt.delete(id);
          lastStored = now;
          if (latencies.length === N) resolveAll();
        }
      }
    },
  });
  await new Promise((r) => setTimeout(r, 3000)); // let the observer join its group

  const template = (to) => JSON.stringify({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'bench', language: { code: 'en' } } });
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      const number = numbers[i % NUMBERS].phoneNumberId;
      const to = `1555${String(1000000 + (i % 5000)).padStart(7, '0')}`;
      const t0 = performance.now();
      const res = await fetch(`${apps.ingest}/v25.0/${number}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: template(to) });
      const body = await res.json();
      if (res.status === 200) sentAt.set(body.messages[0].id, t0);
      else { errors += 1; if (errors < 5) console.error(`send failed: ${res.status} ${JSON.stringify(body)}`); }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const sendDone = performance.now();
  const target = N - errors;
  if (latencies.length < target) {
    const timeout = new Promise((r) => setTimeout(r, 120_000));
    const check = new Promise((r) => { const t = setInterval(() => { if (latencies.length >= target) { clearInterval(t); r(); } }, 50); });
    await Promise.race([allStored, check, timeout]);
  }
  latencies.sort((a, b) => a - b);
  if (latencies.length === 0) {
    throw new Error('no message reached the store');
  }
  const e2eRate = latencies.length / ((lastStored - started) / 1000);
  console.log(`end to end: ${fmt(latencies.length)} stored of ${fmt(N)} (${errors} send errors); sends took ${((sendDone - started) / 1000).toFixed(1)} s`);
  console.log(`  throughput ${fmt(e2eRate)} messages/s (send → stored)`);
  console.log(`  latency send→stored p50 ${pct(latencies, 50).toFixed(1)} ms, p95 ${pct(latencies, 95).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`);
  await consumer.disconnect();
  stopping = true;
  apps.children.forEach((c) => c.kill('SIGTERM'));
  await new Promise((r) => setTimeout(r, 2000));

  // Ceiling 1: Kafka produce alone (same message size, acks=all, idempotent, batches of 100).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sample = JSON.stringify({ pad: 'x'.repeat(620) });
  let t = performance.now();
  for (let i = 0; i < N; i += 100) {
    await producer.send({ topic: 'custody.dlq.v1', acks: -1, messages: Array.from({ length: Math.min(100, N - i) }, (_, j) => ({ key: `bench:${(i + j) % 64}`, value: sample })) });
  }
  const kafkaRate = N / ((performance.now() - t) / 1000);
  await producer.disconnect();

  // Ceiling 2: PostgreSQL insert alone (same row shape as messages, batches of 100, one transaction each).
  const client = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  await client.connect();
  await client.query('CREATE TEMP TABLE bench_messages (message_id text PRIMARY KEY, tenant_id uuid, conversation_id uuid, content jsonb, network_timestamp timestamptz)');
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
  console.log(`  Kafka produce alone      ${fmt(kafkaRate)} messages/s → end to end is ${(e2eRate / kafkaRate).toFixed(2)}× of it`);
  console.log(`  PostgreSQL insert alone  ${fmt(pgRate)} rows/s → end to end is ${(e2eRate / pgRate).toFixed(2)}× of it`);
  process.exit(latencies.length === target ? 0 : 1);
}

main().catch((error) => {
  console.error(`bench:messages: ${error.stack ?? error.message}${error.cause ? `\ncause: ${error.cause.stack ?? error.cause}` : ''}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
