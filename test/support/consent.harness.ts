import type { INestApplication } from '@nestjs/common';
import type { JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import { MessageEvent, Topic, Topics } from '@custody/contracts';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, mintWithKey, testKafka, testTopic } from '@custody/testing';
import { AppModule } from '../../apps/consent/src/app.module';
import { ConsentEnv } from '../../apps/consent/src/config/consent.env';
import { ConsentSettings } from '../../apps/consent/src/config/consent.settings';
import { APP_META } from '../../apps/consent/src/meta';
import { LogKeysRepository } from '../../apps/consent/src/repositories/log-keys.repository';
import { inboundMessage } from './messages';
import { LocalKeyProvider } from '@custody/crypto';
import { platformSql } from './sql';
import {
  startTenantStore,
  TenantStoreHarness,
  TestTenant,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_MASTER_KEYS,
} from './tenant-store.harness';
import { waitFor } from './wait';

export interface ConsentTenant extends TestTenant {
  /** A tenant_admin token. */
  admin: string;
  /** An auditor credential's token, scoped to this tenant. */
  auditorToken: () => Promise<string>;
}

export interface ConsentHarness {
  app: INestApplication;
  url: string;
  request: HttpRequest;
  ts: TenantStoreHarness;
  logKey: JWK;
  newTenant: () => Promise<ConsentTenant>;
  /** A platform-wide auditor token (no tenant). */
  platformAuditorToken: () => Promise<string>;
  /** Publishes a customer's inbound text as ingest would. */
  sendInbound: (
    tenant: ConsentTenant,
    waId: string,
    content: { messageType?: MessageEvent['messageType']; body?: string; content?: Record<string, unknown> },
  ) => Promise<MessageEvent>;
  /** Publishes an inbound event again (a redelivery). */
  republish: (event: MessageEvent) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Starts tenant-store (the token issuer) and consent in-process against the real stack. The
 * consent consumer gets its own group, positioned at the end of the inbound topic, so it sees
 * exactly the messages a test publishes.
 */
export async function startConsent(
  options: { env?: Record<string, string>; adsUrl?: string } = {},
): Promise<ConsentHarness> {
  const groupId = `custody-consent-test-${randomUUID()}`;
  const kafka = testKafka();
  const [ts, logKey] = await Promise.all([
    startTenantStore({ adsUrl: options.adsUrl }),
    LogKeysRepository.generatePrivateJwk(),
    positionAtEnd(kafka, groupId, testTopic(Topics.MessagesInbound)),
  ]);
  const keys = await LogKeysRepository.load(logKey);
  const env = loadConfig(ConsentEnv, {
    ...process.env,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    JWKS_URL: `${ts.url}/.well-known/jwks.json`,
    CONSENT_LOG_KEY_FILE: '(in memory)',
    MASTER_KEY_FILE: '(in memory)',
    CONSENT_CONSUMER_GROUP: groupId,
    ...options.env,
  });
  const app = await createApp(
    AppModule.register(
      env,
      keys,
      new LocalKeyProvider(TEST_MASTER_KEYS),
      ConsentSettings.from(env, { runScheduler: false }),
    ),
    APP_META,
  );
  const url = await listen(app, 0, '127.0.0.1');
  const request = httpClient(url);
  let producer: Producer | undefined;

  const newTenant = async (): Promise<ConsentTenant> => {
    const tenant = await ts.newTenant();
    // consent opens the tenant's messages with the data key tenant-store distributes: wait for it.
    await waitFor('consent to hold the tenant’s data key', async () => {
      const rows = await platformSql(
        `SELECT 1 FROM consent.data_keys d JOIN consent.customer_index_keys k USING (tenant_id) WHERE d.tenant_id = $1`,
        [tenant.id],
      );
      return rows.length > 0;
    });
    const credential = await ts.request('POST', `/v1/tenants/${tenant.id}/credentials`, {
      token: await ts.operatorToken(),
      body: { roles: ['auditor'] },
    });
    if (credential.status !== 201) {
      throw new Error(`auditor credential: ${credential.status} ${credential.text}`);
    }
    return {
      ...tenant,
      admin: await tenant.token(),
      auditorToken: () => ts.tokenFor(credential.body.clientId, credential.body.clientSecret),
    };
  };

  const republish = async (event: MessageEvent): Promise<void> => {
    producer ??= await (async () => {
      const p = kafka.producer({ allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    await producer.send({
      topic: testTopic(Topics.MessagesInbound),
      acks: -1,
      messages: [{ key: `${event.tenantId}:${event.conversationId}`, value: JSON.stringify(event) }],
    });
  };

  const sendInbound: ConsentHarness['sendInbound'] = async (tenant, waId, message) => {
    const event = await inboundMessage(tenant, waId, {
      messageType: message.messageType,
      content: message.content,
      body: message.body ?? '',
    });
    await republish(event);
    return event;
  };

  return {
    app,
    url,
    request,
    ts,
    logKey,
    newTenant,
    platformAuditorToken: () =>
      mintWithKey(ts.privateJwks.keys[0], { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, roles: ['auditor'] }),
    sendInbound,
    republish,
    close: async () => {
      await producer?.disconnect();
      await app.close();
      await ts.close();
    },
  };
}

export interface TopicWatch {
  /** Resolves with the first message (seen so far or later) that `match` accepts. */
  next: (match: (message: KafkaMessage) => boolean, timeoutMs?: number) => Promise<KafkaMessage>;
  all: () => KafkaMessage[];
  stop: () => Promise<void>;
}

/**
 * Follows a topic from its current end (not from the beginning: shared topics can be long), so a
 * test sees what its actions publish. Start it before acting.
 */
export async function watchTopic(contractTopic: Topic): Promise<TopicWatch> {
  const topic = testTopic(contractTopic);
  const kafka = testKafka();
  const groupId = `consent-test-watch-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const seen: KafkaMessage[] = [];
  const waiters = new Set<{ match: (m: KafkaMessage) => boolean; resolve: (m: KafkaMessage) => void }>();
  // Short fetch waits so that stopping does not wait out a long poll.
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push(message);
      for (const w of [...waiters]) {
        if (w.match(message)) {
          waiters.delete(w);
          w.resolve(message);
        }
      }
      return Promise.resolve();
    },
  });
  for (const o of offsets) {
    consumer.seek({ topic, partition: o.partition, offset: o.high });
  }
  return {
    next: (match, timeoutMs = 20_000) => {
      const found = seen.find(match);
      if (found) {
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (m: KafkaMessage) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching message on ${topic} within ${timeoutMs} ms (saw ${seen.length})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    all: () => [...seen],
    stop: () => consumer.disconnect(),
  };
}

/**
 * Commits a new consumer group's offsets at the topic's current end, so it starts there. (What
 * kafkajs's admin.setOffsets does, with a short fetch wait: that one idles 5 s on a quiet topic.)
 */
async function positionAtEnd(kafka: ReturnType<typeof testKafka>, groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic });
    const fetched = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()));
    await consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() });
    consumer.pause([{ topic }]);
    for (const o of offsets) {
      consumer.seek({ topic, partition: o.partition, offset: o.high });
    }
    await fetched;
    await consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: o.high })));
  } finally {
    await consumer.disconnect();
  }
}

/** Polls `probe` until it returns something truthy (or fails after `timeoutMs`). */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
