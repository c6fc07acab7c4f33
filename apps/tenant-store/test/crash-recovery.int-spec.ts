import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MessageEvent, Topics } from '@custody/contracts';
import { SigningKeys } from '@custody/auth';
import { httpClient, readTopic, testKafka, testTopic, uniqueDigits, waitForStableGroups } from '@custody/testing';
import { freePort } from '../../../test/support/platform.harness';
import { TEST_MASTER_KEYS } from '../../../test/support/tenant-store.harness';
import { inboundMessage } from '../../../test/support/messages';
import { waitFor } from '../../../test/support/wait';

const MAIN = join(__dirname, '..', 'dist', 'main.js');

/**
 * tenant-store as a real process, killed with SIGKILL in the middle of a stream of messages and
 * started again: every message sent is stored exactly once (the stored ids are the sent ids, no
 * more, no fewer), and each is announced on messages.stored.
 */
describe('tenant-store crash recovery (real process, real Kafka and PostgreSQL)', () => {
  let child: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let port: number;

  const start = async (): Promise<void> => {
    child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      'tenant-store to be ready',
      async () => {
        if (child?.exitCode !== null) {
          throw new Error(`tenant-store exited: ${stderr}`);
        }
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return res?.ok;
      },
      60_000,
      200,
    );
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: build first (npm test does)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'custody-crash-'));
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(await SigningKeys.generateJwks('ES256')), { mode: 0o600 });
    const masterKeyFile = join(dir, 'master-keys.json');
    writeFileSync(masterKeyFile, JSON.stringify(TEST_MASTER_KEYS), { mode: 0o600 });
    port = await freePort();
    env = {
      ...process.env,
      TENANT_STORE_PORT: String(port),
      JWT_ISSUER: 'http://custody.test',
      JWT_AUDIENCE: 'custody',
      JWT_SIGNING_KEYS_FILE: keysFile,
      MASTER_KEY_FILE: masterKeyFile,
      OPERATOR_CLIENT_ID: 'crash-operator',
      OPERATOR_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      KAFKA_GROUP_PREFIX: `crash-${randomUUID().slice(0, 8)}`,
      KAFKA_NEW_GROUP_START: 'latest',
      LOG_LEVEL: 'warn',
    };
    await start();
    await waitForStableGroups(env.KAFKA_GROUP_PREFIX!, 3);
  }, 90_000);

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('kill -9 mid-stream, restart: nothing lost, nothing duplicated', async () => {
    const api = httpClient(`http://127.0.0.1:${port}`);
    const opToken = (
      await api('POST', '/v1/oauth/token', {
        form: {
          grant_type: 'client_credentials',
          client_id: env.OPERATOR_CLIENT_ID!,
          client_secret: env.OPERATOR_CLIENT_SECRET!,
        },
      })
    ).body.access_token;
    const phoneNumberId = uniqueDigits(15);
    const created = await api('POST', '/v1/tenants', {
      token: opToken,
      body: {
        businessAccountId: uniqueDigits(15),
        displayName: 'Crash test',
        phoneNumbers: [{ phoneNumberId, displayPhoneNumber: '+15550007777' }],
        appSecret: randomBytes(20).toString('hex'),
      },
    });
    expect(created.status).toBe(201);
    const tenantId: string = created.body.tenant.id;

    const total = 1200;
    const customers = Array.from({ length: 40 }, () => `1555${uniqueDigits(7)}`);
    const events: MessageEvent[] = await Promise.all(
      Array.from({ length: total }, (_, i) => {
        const waId = customers[i % customers.length];
        return inboundMessage({ id: tenantId, phoneNumberId }, waId, {
          body: `message ${i}`,
          networkTimestamp: new Date(Date.now() + i),
        });
      }),
    );
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (slice: MessageEvent[]) =>
      producer.send({
        topic: testTopic(Topics.MessagesInbound),
        acks: -1,
        messages: slice.map((e) => ({ key: `${tenantId}:${e.conversationId}`, value: JSON.stringify(e) })),
      });

    const db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
    const platformQuery = async (sql: string) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('custody.platform', 'on', true)`);
      const r = await db.query(sql, [tenantId]);
      await db.query('COMMIT');
      return r.rows;
    };
    const stored = async () =>
      (
        (await platformQuery(
          `SELECT count(*)::int AS n FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'customer'`,
        )) as Array<{ n: number }>
      )[0];
    const storedIds = async () =>
      (
        (await platformQuery(
          `SELECT message_id FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'customer'`,
        )) as Array<{ message_id: string }>
      ).map((r) => r.message_id);
    const sentIds = events.map((e) => e.messageId).sort();
    expect(new Set(sentIds).size).toBe(total);
    try {
      for (let i = 0; i < 600; i += 50) {
        await send(events.slice(i, i + 50));
      }
      await waitFor('some messages stored before the crash', async () => (await stored()).n >= 100, 30_000, 20);
      child!.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      const atCrash = await stored();
      expect(atCrash.n).toBeGreaterThan(0);
      expect(atCrash.n).toBeLessThan(total);
      await send(events.slice(600));
      await start();
      await waitFor('every message stored after the restart', async () => (await stored()).n >= total, 60_000, 200);
      await new Promise((r) => setTimeout(r, 1000));
      // The stored ids are exactly the sent ids: none lost, none twice, nothing else.
      expect((await storedIds()).sort()).toEqual(sentIds);
      const [conversations] = await platformQuery(
        `SELECT count(*)::int AS n FROM tenant_store.conversations WHERE tenant_id = $1`,
      );
      expect(conversations.n).toBe(customers.length);
      // Each was announced on messages.stored (at least once: an event published just before the
      // kill may be published again after it; consumers deduplicate on the event id).
      const announced = await waitFor(
        'every message announced on messages.stored',
        async () => {
          const ids = (await readTopic(testTopic(Topics.MessagesStored)))
            .filter((e) => e.tenantId === tenantId && e.type === 'stored.message' && e.message.origin === 'customer')
            .map((e) => e.message.messageId as string);
          return new Set(ids).size >= total ? ids : undefined;
        },
        60_000,
        500,
      );
      expect([...new Set(announced)].sort()).toEqual(sentIds);
    } finally {
      await producer.disconnect();
      await db.end();
    }
  }, 180_000);
});
