#!/usr/bin/env node
// Encryption overhead on tenant-store's message path, on the real PostgreSQL, in one run:
// the same MessageStoreService (what the Kafka consumer calls for each batch: upsert the
// conversation, insert the content as it arrived sealed, outbox), preceded by the sealing ingest
// does at the edge (one AES-GCM per message), and ConversationService.get (read 100 messages, decrypt), once
// with the real FieldCipher and once with a pass-through codec of the same shape, in
// alternating rounds so that both see the same machine load. The pass-through codec exists only
// in this script: the apps have no switch to store bodies in clear.
//
//   npm run build && eval "$(bash scripts/stack.sh env --db <db>)" && node scripts/bench-store-crypto.mjs
//   BENCH_ROUNDS=6 BENCH_BATCHES=40 BENCH_PARALLEL=3 BENCH_BODY_BYTES=200 node scripts/bench-store-crypto.mjs
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import pg from 'pg';
import { requireStackEnv, serviceDatabaseUrl } from './lib/stack-env.mjs';

const require = createRequire(import.meta.url);
const { conversationIdFor, CUSTODY_MARKING } = require('@custody/contracts');
const {
  CustomerIdentity,
  CustomerIndexKeys,
  FieldCipher,
  LocalKeyProvider,
  MemoryCustomerIndexKeyStore,
  messageContentAad,
  SqlDataKeyStore,
  TenantKeyring,
} = require('@custody/crypto');
const { asTenantId, createDataSource, TenantDb } = require('@custody/database');
const { MessageRepository } = require('../apps/tenant-store/dist/repositories/message.repository.js');
const {
  MarketingAuthorizationRepository,
} = require('../apps/tenant-store/dist/repositories/marketing-authorization.repository.js');
const { MessageStoreService } = require('../apps/tenant-store/dist/services/message-store.service.js');
const { ConversationService } = require('../apps/tenant-store/dist/services/conversation.service.js');

requireStackEnv('eval "$(bash scripts/stack.sh env --db <db>)"', { kafka: false, services: ['tenant-store'] });
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 30); // per round and mode
const BATCH = 100; // messages per consumer batch
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 3); // batches in flight (tenant-store handles 3 partitions at once)
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 200);
/** Customers' references and sealed numbers (set up in main). */
let identity;
const CUSTOMERS = 200;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The same calls with nothing done: the message path without encryption. */
const passThrough = {
  encrypt: async (_tenant, plaintext) => plaintext,
  encryptJson: async (_tenant, value) => JSON.stringify(value),
  decryptString: async (_tenant, stored) => stored,
};

const owner = new pg.Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
async function asPlatform(sql, params = []) {
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('custody.platform', 'on', true)`);
  await owner.query('SET LOCAL search_path = tenant_store');
  const result = await owner.query(sql, params);
  await owner.query('COMMIT');
  return result.rows;
}

async function newTenant() {
  const id = randomUUID();
  const phoneNumberId = `7${Date.now()}${randomBytes(2).readUInt16BE() % 100}`.slice(0, 15);
  await asPlatform(
    `INSERT INTO tenants (id, business_account_id, display_name, app_secret_ciphertext, status) VALUES ($1, $2, 'bench-store-crypto', 'x', 'active')`,
    [id, `6${Date.now()}${randomBytes(2).readUInt16BE()}`],
  );
  await asPlatform(
    `INSERT INTO phone_numbers (phone_number_id, tenant_id, display_phone_number) VALUES ($1, $2, '+15550000000')`,
    [phoneNumberId, id],
  );
  return { id: asTenantId(id), phoneNumberId };
}

const words = 'order delivery invoice address tomorrow please thanks hello question price size colour return'.split(
  ' ',
);
function body() {
  let s = '';
  while (s.length < BODY_BYTES) s += `${words[randomBytes(1)[0] % words.length]} `;
  return s.slice(0, BODY_BYTES);
}

/**
 * One consumer batch. Like a Kafka partition (keyed by conversation), worker `lane` sees only its
 * own customers, so batches in flight never share a conversation.
 */
function batch(tenant, lane, codec) {
  const now = Date.now();
  const perLane = Math.floor(CUSTOMERS / PARALLEL);
  return Promise.all(
    Array.from({ length: BATCH }, async (_, i) => {
      const customer = lane * perLane + (randomBytes(4).readUInt32BE() % perLane);
      const waId = `1555${String(customer).padStart(7, '0')}`;
      const id = `wamid.bsc${randomBytes(12).toString('base64url')}`;
      // The customer's reference and sealed number, as ingest makes them (both modes: not what is compared).
      const who = await identity.identify(tenant.id, waId);
      return {
        eventId: id,
        type: 'message.inbound',
        tenantId: tenant.id,
        occurredAt: new Date(now).toISOString(),
        messageId: id,
        conversationId: conversationIdFor(tenant.id, tenant.phoneNumberId, who.ref),
        phoneNumberId: tenant.phoneNumberId,
        customer: who,
        origin: 'customer',
        messageType: 'text',
        contentCiphertext: await codec.encryptJson(tenant.id, { body: body() }, messageContentAad(id)),
        networkTimestamp: new Date(now + i).toISOString(),
        custody: { ...CUSTODY_MARKING },
      };
    }),
  );
}

/** Stores BATCHES batches, PARALLEL at a time; returns messages/s and tenant-store CPU µs per message. */
async function storeRound(store, tenant, codec) {
  const perLane = Math.ceil(BATCHES / PARALLEL);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async (_, lane) => {
      for (let b = 0; b < perLane; b += 1) {
        // Sealing (ingest's part since content is sealed at the edge) is timed with the store.
        const events = await batch(tenant, lane, codec);
        if (!(await store.storeMessages(tenant.id, events))) throw new Error('tenant unknown');
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const n = PARALLEL * perLane * BATCH;
  return { perSecond: n / seconds, cpuMicros: (cpu.user + cpu.system) / n };
}

/** Reads every conversation of the tenant (up to 100 messages each), decrypting; returns messages/s read. */
async function readRound(conversations, tenant, ids) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let read = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < ids.length) {
        const c = await conversations.get(tenant.id, ids[next++], 100);
        if (c.messages.some((m) => m.content === null)) throw new Error('a message did not decrypt');
        read += c.messages.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: read / seconds, cpuMicros: (cpu.user + cpu.system) / read };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  await owner.connect();
  const dataSource = createDataSource({
    url: serviceDatabaseUrl('tenant-store'),
    schema: 'tenant_store',
    entities: [],
    poolSize: 10,
    applicationName: 'bench-store-crypto',
  });
  await dataSource.initialize();
  // Cross-tenant paths (TenantDb.forPlatform) log in as the platform role.
  const platformDataSource = createDataSource({
    url: serviceDatabaseUrl('tenant-store', { platform: true }),
    schema: 'tenant_store',
    entities: [],
    poolSize: 2,
    applicationName: 'bench-store-crypto-platform',
  });
  await platformDataSource.initialize();
  const db = new TenantDb(dataSource, platformDataSource);
  const masterKeys = LocalKeyProvider.ephemeral(['mk-bench']);
  const keyring = new TenantKeyring(new SqlDataKeyStore(db), masterKeys);
  const cipher = new FieldCipher(keyring);
  identity = new CustomerIdentity(new CustomerIndexKeys(new MemoryCustomerIndexKeyStore(), masterKeys), cipher);
  const repo = new MessageRepository(db);
  const marketing = new MarketingAuthorizationRepository(db);
  // The rows stay in the outbox (this script measures the store, not the relay).
  const outbox = { wake() {}, publishCommitted: async () => undefined };
  const modes = {
    encrypted: {
      codec: cipher,
      store: new MessageStoreService(repo, outbox, cipher, marketing, identity),
      read: new ConversationService(repo, cipher, identity),
    },
    plain: {
      codec: passThrough,
      store: new MessageStoreService(repo, outbox, passThrough, marketing, identity),
      read: new ConversationService(repo, passThrough, identity),
    },
  };
  const tenants = { encrypted: await newTenant(), plain: await newTenant() };
  try {
    await run(modes, tenants);
  } finally {
    await cleanUp(tenants);
    await dataSource.destroy();
    await platformDataSource.destroy();
    await owner.end();
  }
}

async function run(modes, tenants) {
  console.log(
    `bench-store-crypto — ${ROUNDS} rounds × ${BATCHES} batches of ${BATCH} messages (${BODY_BYTES}-byte bodies, ${CUSTOMERS} customers), ${PARALLEL} batches in flight, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  );
  // Warm-up (data key creation, connection pool, JIT), not counted.
  for (const mode of Object.keys(modes)) await storeRound(modes[mode].store, tenants[mode], modes[mode].codec);

  const results = { encrypted: { store: [], read: [] }, plain: { store: [], read: [] } };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['encrypted', 'plain'] : ['plain', 'encrypted'];
    for (const mode of order) {
      const s = await storeRound(modes[mode].store, tenants[mode], modes[mode].codec);
      results[mode].store.push(s);
      console.log(
        `  round ${r + 1} ${mode.padEnd(9)} store ${fmt(s.perSecond)} msg/s, ${fmt(s.cpuMicros, 1)} µs CPU/msg`,
      );
    }
  }
  for (const mode of Object.keys(modes)) {
    const ids = (await asPlatform(`SELECT id FROM conversations WHERE tenant_id = $1`, [tenants[mode].id])).map(
      (r) => r.id,
    );
    modes[mode].ids = ids;
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['encrypted', 'plain'] : ['plain', 'encrypted'];
    for (const mode of order) {
      const s = await readRound(modes[mode].read, tenants[mode], modes[mode].ids);
      results[mode].read.push(s);
      console.log(
        `  round ${r + 1} ${mode.padEnd(9)} read  ${fmt(s.perSecond)} msg/s, ${fmt(s.cpuMicros, 1)} µs CPU/msg`,
      );
    }
  }
  const stored = await asPlatform(
    `SELECT count(*)::int AS n, min(length(content_ciphertext)) AS min FROM messages WHERE tenant_id = $1`,
    [tenants.encrypted.id],
  );
  console.log(
    `\nmedians over ${ROUNDS} rounds (encrypted rows: ${fmt(stored[0].n)}, stored content ≥ ${stored[0].min} chars for a ${BODY_BYTES}-byte body)`,
  );
  for (const kind of ['store', 'read']) {
    const e = results.encrypted[kind];
    const p = results.plain[kind];
    const [eRate, pRate] = [median(e.map((x) => x.perSecond)), median(p.map((x) => x.perSecond))];
    const [eCpu, pCpu] = [median(e.map((x) => x.cpuMicros)), median(p.map((x) => x.cpuMicros))];
    console.log(
      `  ${kind.padEnd(5)} encrypted ${fmt(eRate)} msg/s vs plain ${fmt(pRate)} msg/s (${fmt((eRate / pRate - 1) * 100, 1)} %); tenant-store CPU ${fmt(eCpu, 1)} vs ${fmt(pCpu, 1)} µs/msg (+${fmt(eCpu - pCpu, 1)} µs)`,
    );
  }
}

/** Leaves nothing behind: the bench tenants, their rows, their outbox events and data keys. */
async function cleanUp(tenants) {
  for (const t of Object.values(tenants)) {
    await asPlatform(`DELETE FROM outbox WHERE key LIKE $1`, [`${t.id}:%`]);
    await asPlatform(`DELETE FROM message_statuses WHERE tenant_id = $1`, [t.id]);
    await asPlatform(`DELETE FROM messages WHERE tenant_id = $1`, [t.id]);
    await asPlatform(`DELETE FROM conversations WHERE tenant_id = $1`, [t.id]);
    await asPlatform(`DELETE FROM data_keys WHERE tenant_id = $1`, [t.id]);
    await asPlatform(`DELETE FROM phone_numbers WHERE tenant_id = $1`, [t.id]);
    await asPlatform(`DELETE FROM tenants WHERE id = $1`, [t.id]);
  }
}

main().catch(async (error) => {
  console.error(`bench-store-crypto: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
