// PostgreSQL side of the message benchmark: the like-for-like write ceiling. It drives
// tenant-store's own storing code (MessageStoreService.storeMessages / storeStatuses, as its
// Kafka consumers call them per batch) with the real FieldCipher (per-tenant data key, AES-GCM:
// each message's content is sealed here as ingest seals it at the edge, then stored as it is),
// against the same database, tables, row-level security and outbox, for business messages like
// the benchmark's and their sent/delivered/read statuses. Nothing relays the outbox meanwhile
// (the apps are stopped); the tenant and every row it wrote, outbox included, are removed after.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { serviceDatabaseUrl } from './stack-env.mjs';

const require = createRequire(import.meta.url);

/**
 * Stores for `maxSeconds` (then the statuses still owed).
 * @param {{ customers: number, batch: number, statusBatch?: number, parallel: number, maxSeconds: number }} o
 *   batch: messages per storeMessages call; statusBatch: statuses per storeStatuses call (default batch);
 *   parallel: batches in flight (the consumers handle 3 partitions at once); each lane has its own
 *   customers, as a partition has its own conversations.
 */
export async function storeCeiling({
  customers,
  batch = 100,
  statusBatch = batch,
  parallel = 3,
  maxSeconds = 8,
  probe = () => null,
}) {
  const { conversationIdFor, CUSTODY_MARKING } = require('@custody/contracts');
  const {
    ConversationKeyring,
    CustomerIdentity,
    CustomerIndexKeys,
    FieldCipher,
    LocalKeyProvider,
    SqlCustomerIndexKeyStore,
    messageContentAad,
    SqlConversationKeyStore,
    SqlDataKeyStore,
    TenantKeyring,
  } = require('@custody/crypto');
  const { asTenantId, createDataSource, TenantDb } = require('@custody/database');
  const { MessageRepository } = require('../../apps/tenant-store/dist/repositories/message.repository.js');
  const {
    MarketingAuthorizationRepository,
  } = require('../../apps/tenant-store/dist/repositories/marketing-authorization.repository.js');
  const { MessageStoreService } = require('../../apps/tenant-store/dist/services/message-store.service.js');

  const owner = new pg.Client({
    connectionString: process.env.MIGRATION_DATABASE_URL,
    application_name: 'bench-ceiling-owner',
  });
  await owner.connect();
  const asPlatform = async (sql, params = []) => {
    await owner.query('BEGIN');
    await owner.query(`SELECT set_config('custody.platform', 'on', true)`);
    await owner.query('SET LOCAL search_path = tenant_store');
    const r = await owner.query(sql, params);
    await owner.query('COMMIT');
    return r.rows;
  };
  const dataSource = createDataSource({
    url: serviceDatabaseUrl('tenant-store'),
    schema: 'tenant_store',
    entities: [],
    poolSize: 10,
    applicationName: 'bench-ceiling',
  });
  await dataSource.initialize();
  // Cross-tenant paths (TenantDb.forPlatform) log in as the platform role.
  const platformDataSource = createDataSource({
    url: serviceDatabaseUrl('tenant-store', { platform: true }),
    schema: 'tenant_store',
    entities: [],
    poolSize: 2,
    applicationName: 'bench-ceiling-platform',
  });
  await platformDataSource.initialize();
  const tenantId = asTenantId(randomUUID());
  const phoneNumberId = `7${Date.now()}${randomBytes(2).readUInt16BE() % 100}`.slice(0, 15);
  try {
    await asPlatform(
      `INSERT INTO tenants (id, business_account_id, display_name, app_secret_ciphertext, status) VALUES ($1, $2, 'bench-ceiling', 'x', 'active')`,
      [tenantId, `6${Date.now()}${randomBytes(2).readUInt16BE()}`],
    );
    await asPlatform(
      `INSERT INTO phone_numbers (phone_number_id, tenant_id, display_phone_number) VALUES ($1, $2, '+15550000000')`,
      [phoneNumberId, tenantId],
    );
    const db = new TenantDb(dataSource, platformDataSource);
    const masterKeys = LocalKeyProvider.ephemeral(['mk-bench']);
    // As the services do: content under the conversation's key (custody_keys), cached per conversation.
    const keyring = new TenantKeyring(new SqlDataKeyStore(db), masterKeys);
    const cipher = new FieldCipher(keyring, new ConversationKeyring(new SqlConversationKeyStore(db), keyring));
    // The customer's reference and sealed number, as ingest makes them at the edge.
    const identity = new CustomerIdentity(new CustomerIndexKeys(new SqlCustomerIndexKeyStore(db), masterKeys), cipher);
    // The outbox relay is not part of the write: whatever the service tells it (wake, publish the
    // rows just committed) is a no-op here; the rows stay in the table and are deleted below.
    const relay = new Proxy({}, { get: () => async () => undefined });
    const store = new MessageStoreService(
      new MessageRepository(db),
      relay,
      cipher,
      new MarketingAuthorizationRepository(db),
      identity,
    );

    const perLane = Math.max(1, Math.floor(customers / parallel));
    let seq = 0;
    const message = async (lane) => {
      const waId = `1555${String(1000000 + lane * perLane + (seq % perLane)).padStart(7, '0')}`;
      const id = `wamid.bce${randomBytes(15).toString('base64url')}`;
      seq += 1;
      const now = new Date().toISOString();
      const content = { name: 'bench', language: { code: 'en' } };
      const customer = await identity.identify(tenantId, waId);
      const conversationId = conversationIdFor(tenantId, phoneNumberId, customer.ref);
      return {
        eventId: id,
        type: 'message.outbound',
        tenantId,
        occurredAt: now,
        messageId: id,
        conversationId,
        phoneNumberId,
        customer,
        origin: 'business',
        messageType: 'template',
        contentCiphertext: await cipher.encryptJson(tenantId, content, messageContentAad(id), { conversationId }),
        networkTimestamp: now,
        custody: { ...CUSTODY_MARKING },
      };
    };
    const status = (m, s) => ({
      eventId: `${m.messageId}:${s}`,
      type: 'message.status',
      tenantId,
      occurredAt: new Date().toISOString(),
      messageId: m.messageId,
      conversationId: m.conversationId,
      phoneNumberId,
      recipient: { ref: m.customer.ref, waIdCiphertext: m.customer.waIdCiphertext },
      status: s,
      networkTimestamp: new Date().toISOString(),
      custody: { ...CUSTODY_MARKING },
    });
    const check = (ok) => {
      if (!ok) throw new Error('tenant-store did not know the ceiling tenant');
    };
    // Warm-up (the tenant's data key, the pool, the JIT): one batch, not counted.
    const warm = await Promise.all(Array.from({ length: batch }, () => message(0)));
    check(await store.storeMessages(tenantId, warm));

    // Each lane, per round: a batch of messages, then the sent/delivered/read statuses of the
    // previous round's messages in batches of `statusBatch`, like the two consumer groups working
    // side by side (statuses trail their messages by one round).
    let storedMessages = 0;
    let storedStatuses = 0;
    const storeStatuses = async (ms) => {
      const ss = ms.flatMap((m) => ['sent', 'delivered', 'read'].map((s) => status(m, s)));
      for (let i = 0; i < ss.length; i += statusBatch) {
        check(await store.storeStatuses(tenantId, ss.slice(i, i + statusBatch)));
      }
      storedStatuses += ss.length;
    };
    const deadline = performance.now() + maxSeconds * 1000;
    const before = probe();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async (_, lane) => {
        let previous = [];
        while (performance.now() < deadline) {
          const ms = await Promise.all(Array.from({ length: batch }, () => message(lane)));
          check(await store.storeMessages(tenantId, ms));
          storedMessages += ms.length;
          await storeStatuses(previous);
          previous = ms;
        }
        await storeStatuses(previous);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = probe();
    const [rows] = await asPlatform(
      `SELECT (SELECT count(*)::int FROM messages WHERE tenant_id = $1 AND origin = 'business') AS messages,
              (SELECT count(*)::int FROM message_statuses WHERE tenant_id = $1) AS statuses,
              (SELECT count(*)::int FROM outbox WHERE key LIKE $2) AS outbox`,
      [tenantId, `${tenantId}:%`],
    );
    return {
      messagesPerSecond: storedMessages / seconds,
      rowsPerSecond: (storedMessages + storedStatuses) / seconds,
      messages: storedMessages,
      statuses: storedStatuses,
      seconds,
      probes: [before, after],
      batch,
      statusBatch,
      parallel,
      check: rows,
    };
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await platformDataSource.destroy().catch(() => undefined);
    for (const sql of [
      `DELETE FROM outbox WHERE key LIKE $1::text || ':%'`,
      `DELETE FROM message_statuses WHERE tenant_id = $1`,
      `DELETE FROM messages WHERE tenant_id = $1`,
      `DELETE FROM conversations WHERE tenant_id = $1`,
      `DELETE FROM data_keys WHERE tenant_id = $1`,
      `DELETE FROM customer_index_keys WHERE tenant_id = $1`,
      `DELETE FROM custody_keys.conversation_keys WHERE tenant_id = $1`,
      `DELETE FROM phone_numbers WHERE tenant_id = $1`,
      `DELETE FROM tenants WHERE id = $1`,
    ]) {
      await asPlatform(sql, [tenantId]).catch((e) => console.error(`ceiling clean-up: ${e.message}`));
    }
    await owner.end();
  }
}
