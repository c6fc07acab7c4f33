// npm run bench:export [-- --customers N --stops M --stop-rate R]
// The marketing export over the real stack (tenant-store, consent, marketing-export and the
// sandbox's simulated ads platform as built processes on loopback, Kafka, PostgreSQL):
//  1. throughput: N customers (90% with a grant recorded through the consent API, 10% without),
//     one candidate each published to marketing.authorized (the run's own topics) as tenant-store does;
//     records per second from the first candidate to the last settled record (consent re-checked
//     at send time, batched to the audience, or suppressed);
//  2. removal latency: M consented members write STOP in the chat (inbound message events at R
//     per second); time from each STOP to the sandbox's record of the member's removal.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { contentSealer, inboundTextMessage } from './lib/bench-events.mjs';
import { startProcesses } from './lib/platform-processes.mjs';
import { requireStackEnv } from './lib/stack-env.mjs';

const require = createRequire(import.meta.url);
const { conversationIdFor, Topics } = require('../libs/contracts/dist/index.js');

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split('--')
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/)),
);
const N = Math.min(Number(args.customers ?? 20000), 200000);
const STOPS = Math.min(Number(args.stops ?? 200), 5000);
const STOP_RATE = Number(args['stop-rate'] ?? 20);
const CONCURRENCY = 32;
const DEADLINE_MS = 15 * 60_000;
requireStackEnv('npm run bench:export');

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const stamp = () => (process.env.BENCH_TIMESTAMPS ? `[${new Date().toISOString()}] ` : '');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const deadline = () => {
  if (Date.now() - started > DEADLINE_MS) throw new Error('bench:export ran out of time');
};

async function pool(items, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < items.length; i = next++) await worker(items[i], i);
    }),
  );
}

async function json(res, what) {
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function main() {
  console.log(
    `bench:export — ${fmt(N)} customers (90% consented), ${fmt(STOPS)} STOPs at ${STOP_RATE}/s, node ${process.version}`,
  );
  const procs = await startProcesses({
    apps: ['tenant-store', 'consent', 'marketing-export', 'sandbox'],
    env: {
      EXPORT_CONSENT_GRACE_MS: '1000',
      EXPORT_POLL_INTERVAL_MS: '100',
      ...(process.env.BENCH_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
    },
  });
  const [store, consent, exporter, sandbox] = ['tenant-store', 'consent', 'marketing-export', 'sandbox'].map((a) =>
    procs.url(a),
  );
  const kafka = new Kafka({
    clientId: 'bench-export',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const db = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  const sealPool = new pg.Pool({ connectionString: process.env.MIGRATION_DATABASE_URL, max: 2, allowExitOnIdle: true });
  const seal = contentSealer({ masterKeyFile: procs.env.MASTER_KEY_FILE, pool: sealPool });
  await db.connect();
  await db.query(`SELECT set_config('custody.platform', 'on', false)`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // Every app's consumer groups joined (they start at the end of the shared topics).
    const admin = kafka.admin();
    await admin.connect();
    for (let i = 0; ; i += 1) {
      const ours = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(`${procs.env.KAFKA_GROUP_PREFIX}.`));
      const exportGroups = ours.filter((g) => g.includes('marketing-export'));
      if (
        exportGroups.length >= 3 &&
        ours.includes(`${procs.env.KAFKA_GROUP_PREFIX}.custody-consent`) &&
        (await admin.describeGroups(ours)).groups.every((g) => g.state === 'Stable')
      )
        break;
      if (i > 600) throw new Error('consumer groups not stable after 120 s');
      await sleep(200);
    }
    await admin.disconnect();

    const operatorToken = await procs.token();
    const phoneNumberId = `9${Date.now()}`.slice(0, 15);
    const created = await json(
      await fetch(`${store}/v1/tenants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
        body: JSON.stringify({
          businessAccountId: `8${Date.now()}`,
          displayName: 'Bench export',
          phoneNumbers: [{ phoneNumberId, displayPhoneNumber: '+15559900001' }],
          appSecret: randomBytes(20).toString('hex'),
        }),
      }),
      'tenant',
    );
    const tenantId = created.tenant.id;
    const tenantToken = await procs.token(created.credentials.clientId, created.credentials.clientSecret);
    const api = (base, method, path, body) =>
      fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => json(r, `${method} ${path}`));

    await api(consent, 'POST', '/v1/consent/purposes', {
      key: 'ads',
      dataUse: 'marketing.advertising',
      wording: { language: 'en', text: 'Bench may use our chats to show you ads.' },
    });
    const audienceId = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    // The tenant's own token of its ad account, issued by the sandbox's ads platform.
    const adsToken = await fetch(`${sandbox}/ads/_sandbox/ad-accounts/act_1000001/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${procs.env.SANDBOX_ADS_ACCESS_TOKEN}` },
    }).then((r) => json(r, 'ads token'));
    await api(store, 'PUT', '/v1/marketing/ads-accounts/act_1000001', { accessToken: adsToken.accessToken });
    const auth = await api(store, 'POST', '/v1/marketing/authorizations', {
      destination: { kind: 'customer_list_audience', adAccountId: 'act_1000001', audienceId },
      dataUses: ['marketing.advertising.first_party.targeted'],
      scope: 'all',
    });
    const base = 155500000000 + Math.floor(Math.random() * 100_000) * 1_000_000;
    const customers = Array.from({ length: N }, (_, i) => ({ waId: String(base + i), consented: i % 10 !== 9 }));
    // Events name customers by their keyed reference (the tenant's index key, as ingest computes it).
    for (const c of customers) {
      c.ref = (await seal.customer(tenantId, c.waId)).ref;
    }

    // The customers who will write STOP get real grants through the consent API (the consent
    // service must hold them to revoke them); the others' grants are published to the compacted
    // consent topic directly, as the consent service would (it is not what is measured here, and
    // the API at ~50 grants/s on this machine would dominate the run).
    const stoppers = customers.filter((c) => c.consented).slice(0, STOPS);
    let t = Date.now();
    await pool(stoppers, async (c) => {
      const prompt = await api(consent, 'POST', '/v1/consent/prompts', {
        customer: { waId: c.waId },
        language: 'en',
        purposes: ['ads'],
      });
      await api(consent, 'POST', '/v1/consent/records', {
        customer: { waId: c.waId },
        purpose: 'ads',
        action: 'grant',
        method: 'api',
        promptId: prompt.id,
      });
    });
    const grantsSeconds = (Date.now() - t) / 1000;
    const synthetic = customers.filter((c) => c.consented).slice(STOPS);
    const wordingHash = createHash('sha256').update('bench wording').digest('hex');
    for (let i = 0; i < synthetic.length; i += 1000) {
      await producer.send({
        topic: procs.topics.name(Topics.ConsentEvents),
        acks: -1,
        messages: synthetic.slice(i, i + 1000).map((c, j) => {
          const subject = createHash('sha256').update(`bench-subject:${tenantId}:${c.waId}`).digest('hex');
          const at = new Date().toISOString();
          return {
            key: `${tenantId}:${subject}:ads`,
            value: JSON.stringify({
              eventId: randomUUID(),
              type: 'consent.granted',
              tenantId,
              occurredAt: at,
              subject,
              customer: { ref: c.ref },
              purpose: { key: 'ads', dataUse: 'marketing.advertising', version: 1, language: 'en', wordingHash },
              status: 'granted',
              method: 'api',
              logIndex: 1_000_000 + i + j,
              leafHash: createHash('sha256').update(subject).digest('base64'),
              effectiveAt: at,
            }),
            headers: { 'custody-event-type': 'consent.granted', 'custody-tenant-id': tenantId },
          };
        }),
      });
    }
    const consented = customers.filter((c) => c.consented).length;
    console.log(
      `${stamp()}setup: ${fmt(stoppers.length)} grants through the consent API in ${grantsSeconds.toFixed(1)} s; ${fmt(synthetic.length)} grants published to the consent topic`,
    );
    // The export's consent view has caught up with them.
    for (;;) {
      deadline();
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM marketing_export.consent_states WHERE tenant_id = $1 AND status = 'granted'`,
        [tenantId],
      );
      if (rows[0].n >= consented) break;
      await sleep(200);
    }

    // Phase 1: candidates, as tenant-store publishes them.
    const now = new Date().toISOString();
    const candidate = (c, i) => {
      const conversationId = conversationIdFor(tenantId, phoneNumberId, c.ref);
      const messageId = `wamid.bench${Date.now()}${i}`;
      return {
        key: `${tenantId}:${conversationId}`,
        value: JSON.stringify({
          eventId: `${auth.id}:${messageId}`,
          tenantId,
          occurredAt: now,
          type: 'marketing.candidate',
          candidate: {
            authorizationId: auth.id,
            authorizationVersion: auth.version,
            destination: auth.destination,
            dataUses: auth.dataUses,
            messageId,
            conversationId,
            phoneNumberId,
            customer: { ref: c.ref, memberHash: createHash('sha256').update(c.waId).digest('hex') },
            origin: 'customer',
            networkTimestamp: now,
            custody: { e2e: false, hostedBy: 'custody' },
          },
        }),
        headers: { 'custody-event-type': 'marketing.candidate', 'custody-tenant-id': tenantId },
      };
    };
    const t0 = Date.now();
    for (let i = 0; i < N; i += 1000) {
      await producer.send({
        topic: procs.topics.name(Topics.MarketingAuthorized),
        acks: -1,
        messages: customers.slice(i, i + 1000).map((c, j) => candidate(c, i + j)),
      });
    }
    const published = Date.now();
    let settled;
    for (;;) {
      deadline();
      const { rows } = await db.query(
        `SELECT status, reason, count(*)::int AS n, max(completed_at) AS last FROM marketing_export.export_records
          WHERE tenant_id = $1 AND operation = 'add' GROUP BY status, reason`,
        [tenantId],
      );
      const done = rows.filter((r) => r.status !== 'pending' && r.status !== 'sending');
      if (done.reduce((s, r) => s + r.n, 0) >= N) {
        settled = rows;
        break;
      }
      await sleep(100);
    }
    const last = Math.max(...settled.map((r) => new Date(r.last).getTime()));
    const seconds = (last - t0) / 1000;
    const audience = await json(await fetch(`${sandbox}/ads/_sandbox/audiences/${audienceId}?limit=1`), 'audience');
    console.log(
      `${stamp()}throughput: ${fmt(N)} candidates (published in ${((published - t0) / 1000).toFixed(1)} s) settled in ${seconds.toFixed(1)} s → ${fmt(N / seconds)} records/s`,
    );
    console.log(
      `  outcomes: ${settled.map((r) => `${r.status}${r.reason ? `:${r.reason}` : ''} ${fmt(r.n)}`).join(', ')}`,
    );
    console.log(`  audience: ${fmt(audience.member_count)} members, ${fmt(audience.totals.batches)} upload batches`);
    if (audience.member_count !== consented)
      throw new Error(`expected ${consented} members, the audience has ${audience.member_count}`);

    // Phase 2: STOP → removal at the destination.
    if (process.env.BENCH_TIMESTAMPS) console.log(`${stamp()}STOPs start`);
    const stopAt = new Map();
    t = Date.now();
    for (let i = 0; i < stoppers.length; i += 1) {
      const due = t + (i * 1000) / STOP_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const c = stoppers[i];
      const messageId = `wamid.stop${Date.now()}${i}`;
      const at = new Date();
      stopAt.set(c.waId, at.getTime());
      await producer.send({
        topic: procs.topics.name(Topics.MessagesInbound),
        acks: -1,
        messages: [
          await inboundTextMessage({ tenantId, phoneNumberId, waId: c.waId, messageId, text: 'STOP', at, seal }),
        ],
      });
    }
    const hashOf = new Map(stoppers.map((c) => [createHash('sha256').update(c.waId).digest('hex'), c.waId]));
    let removedAt = new Map();
    for (;;) {
      deadline();
      const a = await json(await fetch(`${sandbox}/ads/_sandbox/audiences/${audienceId}?limit=10000`), 'audience');
      removedAt = new Map(
        a.recently_removed
          .map((r) => [hashOf.get(r.identifier.replace(/^PHONE:/, '')), new Date(r.removed_at).getTime()])
          .filter(([w]) => w),
      );
      if (removedAt.size >= stoppers.length) break;
      if (Date.now() - t > 120_000 + (stoppers.length * 1000) / STOP_RATE)
        throw new Error(`only ${removedAt.size} of ${stoppers.length} removals after 2 minutes`);
      await sleep(250);
    }
    const latencies = stoppers.map((c) => removedAt.get(c.waId) - stopAt.get(c.waId)).sort((x, y) => x - y);
    console.log(
      `${stamp()}removal: ${fmt(latencies.length)} STOPs → removed from the audience: p50 ${fmt(pct(latencies, 50))} ms, p95 ${fmt(pct(latencies, 95))} ms, p99 ${fmt(pct(latencies, 99))} ms, max ${fmt(latencies.at(-1))} ms (goal p99 ≤ 5,000 ms)`,
    );
    const { rows: removals } = await db.query(
      `SELECT count(*)::int AS n FROM marketing_export.export_records WHERE tenant_id = $1 AND operation = 'remove' AND status = 'removed'`,
      [tenantId],
    );
    console.log(`  ledger: ${fmt(removals[0].n)} removals recorded as removed`);
  } finally {
    await producer.disconnect();
    await db.end();
    await procs.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
