import { Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import { TenantChangedEvent, Topics } from '@custody/contracts';
import { configureLogging, ObservabilityModule } from '@custody/observability';
import {
  EventPublisher,
  EventSubscriber,
  KafkaClient,
  KafkaDeliveryTimeoutError,
  KafkaModule,
  kafkaSettingsFromEnv,
} from '@custody/kafka';
import { testKafka, testTopic, waitForStableGroups } from '@custody/testing';
import { tenantEvent } from './tenant-event';

const CONSUMER_STOP_TIMEOUT_MS = 3000;

/** What the app's two consumers saw and did, observed from the test. */
class Probe {
  constructor(readonly tenantId: string) {}
  batchStarted = 0;
  batchFinished = 0;
  hangingCalls = 0;
  /** When the database-like resource the handlers use went away (the app's own shutdown hook). */
  resourceClosedAt?: number;
  batchFinishedAt?: number;
  releaseHanging!: () => void;
  readonly hanging = new Promise<void>((resolve) => {
    this.releaseHanging = resolve;
  });
  started!: () => void;
  readonly bothStarted = new Promise<void>((resolve) => {
    let n = 0;
    this.started = () => {
      n += 1;
      if (n === 2) {
        resolve();
      }
    };
  });
}

function appModule(probe: Probe, groupPrefix: string) {
  /** Stands for the database: closed in onApplicationShutdown, like DatabaseModule's DataSource. */
  @Injectable()
  class Resource implements OnApplicationShutdown {
    onApplicationShutdown(): void {
      probe.resourceClosedAt = Date.now();
    }
  }

  @Injectable()
  class Consumers implements OnApplicationBootstrap {
    constructor(private readonly subscriber: EventSubscriber) {}

    async onApplicationBootstrap(): Promise<void> {
      // A batch consumer whose handler takes 1.5 s: shutdown must let it finish and commit.
      await this.subscriber.subscribeBatch<TenantChangedEvent>({
        groupId: 'slow-batch',
        topics: [Topics.TenantsChanged],
        fromBeginning: false,
        handler: async (events) => {
          if (!events.some((e) => e.event.tenantId === probe.tenantId)) {
            return;
          }
          probe.batchStarted += 1;
          probe.started();
          await new Promise((r) => setTimeout(r, 1500));
          if (probe.resourceClosedAt !== undefined) {
            throw new Error('the handler outlived the resources it uses');
          }
          probe.batchFinished += 1;
          probe.batchFinishedAt = Date.now();
        },
      });
      // A consumer whose handler hangs: shutdown must not wait for it past the bound.
      await this.subscriber.subscribe<TenantChangedEvent>({
        groupId: 'hanging',
        topics: [Topics.TenantsChanged],
        fromBeginning: false,
        handler: async (event) => {
          if (event.tenantId !== probe.tenantId) {
            return;
          }
          probe.hangingCalls += 1;
          probe.started();
          await probe.hanging;
        },
      });
    }
  }

  @Module({
    imports: [
      ObservabilityModule,
      KafkaModule.forRoot({
        ...kafkaSettingsFromEnv(`shutdown-test-${randomUUID().slice(0, 6)}`),
        groupPrefix,
        newGroupStart: 'latest',
        consumerStopTimeoutMs: CONSUMER_STOP_TIMEOUT_MS,
      }),
    ],
    providers: [Resource, Consumers],
  })
  class ShutdownTestModule {}
  return ShutdownTestModule;
}

describe('libs/kafka shutdown over the real broker', () => {
  beforeAll(() => configureLogging('kafka-shutdown-test', 'silent'));

  it('closes an app within a few seconds while its consumers are mid-batch: the batch in hand finishes and is committed first, a hanging handler is cut off, nothing restarts', async () => {
    const probe = new Probe(randomUUID());
    const groupPrefix = `test-shutdown-${randomUUID().slice(0, 8)}`;
    // Every consumer the app makes, to see each one through to its disconnect.
    const disconnected: Array<Promise<void>> = [];
    const makeConsumer = KafkaClient.prototype.consumer;
    const spy = jest.spyOn(KafkaClient.prototype, 'consumer').mockImplementation(function (this: KafkaClient, config) {
      const consumer = makeConsumer.call(this, config);
      disconnected.push(new Promise((resolve) => consumer.on(consumer.events.DISCONNECT, () => resolve())));
      return consumer;
    });
    const app = await NestFactory.createApplicationContext(appModule(probe, groupPrefix), { logger: false });
    spy.mockRestore();
    expect(disconnected).toHaveLength(2);
    await waitForStableGroups(groupPrefix, 2);

    const event = tenantEvent(probe.tenantId);
    await app.get(EventPublisher).publish(Topics.TenantsChanged, probe.tenantId, event);
    await probe.bothStarted;

    const closing = Date.now();
    await app.close();
    const closeMs = Date.now() - closing;

    // Bounded: the hanging consumer is given CONSUMER_STOP_TIMEOUT_MS, then its connections close.
    expect(closeMs).toBeLessThan(CONSUMER_STOP_TIMEOUT_MS + 2500);
    // The slow batch finished before anything the handlers use was shut down.
    expect(probe.batchFinished).toBe(1);
    expect(probe.batchFinishedAt).toBeLessThan(probe.resourceClosedAt!);

    // Its offset was committed: the next member of the group starts after the event.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: `${groupPrefix}.slow-batch`,
        topics: [testTopic(Topics.TenantsChanged)],
      });
      const latest = await admin.fetchTopicOffsets(testTopic(Topics.TenantsChanged));
      const ours = committed.partitions.filter((p) => Number(p.offset) > 0);
      expect(ours.length).toBeGreaterThan(0);
      for (const p of ours) {
        expect(p.offset).toBe(latest.find((l) => l.partition === p.partition)!.offset);
      }
    } finally {
      await admin.disconnect();
    }

    // Once released, the cut-off consumer winds down (it disconnects) and does not restart: its
    // handler is not run again in this process.
    probe.releaseHanging();
    await Promise.all(disconnected);
    await new Promise((r) => setTimeout(r, 2000));
    expect(probe.hangingCalls).toBe(1);
    expect(probe.batchStarted).toBe(1);
  }, 60_000);

  describe('idempotent producer', () => {
    let silent: Server;
    const accepted = new Set<Socket>();
    let port: number;
    beforeAll(async () => {
      // A "broker" that accepts connections and never answers: no request is ever acknowledged.
      silent = createServer((socket) => accepted.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      accepted.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('fails a send that is not acknowledged within the delivery timeout, and sends the next one on a new producer', async () => {
      const client = new KafkaClient({
        clientId: 'delivery-timeout-test',
        brokers: [`127.0.0.1:${port}`],
        deliveryTimeoutMs: 1500,
      });
      const created = jest.spyOn(client.kafka, 'producer');
      const send = () =>
        client.send((p) => p.send({ topic: testTopic(Topics.TenantsChanged), acks: -1, messages: [{ value: 'x' }] }));

      const started = Date.now();
      await expect(send()).rejects.toThrow(KafkaDeliveryTimeoutError);
      expect(Date.now() - started).toBeLessThan(3000);
      await expect(send()).rejects.toThrow(KafkaDeliveryTimeoutError);
      expect(created).toHaveBeenCalledTimes(2);
      // Unlimited retries on the idempotent producer (kafkajs warns about limited ones).
      expect(
        created.mock.calls.every(
          ([config]) => config?.idempotent === true && config.retry?.retries === Number.MAX_SAFE_INTEGER,
        ),
      ).toBe(true);
    }, 20_000);
  });
});
