import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { Headers, TenantChangedEvent, Topic, TopicNamespace, Topics } from '@custody/contracts';
import { configureLogging } from '@custody/observability';
import {
  ensureTopics,
  EventPublisher,
  EventSchemaError,
  EventSubscriber,
  KafkaClient,
  kafkaSettingsFromEnv,
} from '@custody/kafka';
import { testKafka, testTopic, waitForMessage } from '@custody/testing';
import { tenantEvent } from './tenant-event';

describe('libs/kafka over the real broker', () => {
  let client: KafkaClient;
  let publisher: EventPublisher;
  let subscriber: EventSubscriber;

  beforeAll(() => {
    configureLogging('kafka-test', 'silent');
    client = new KafkaClient(kafkaSettingsFromEnv(`kafka-test-${randomUUID().slice(0, 6)}`));
    publisher = new EventPublisher(client);
    subscriber = new EventSubscriber(client);
  });
  afterAll(async () => {
    await client.onApplicationShutdown();
  });

  it('creates topics with the retention their spec sets, and applies it to a topic that already exists', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const name = `custody.test-retention-${randomUUID().slice(0, 8)}.v1` as Topic;
    const retentionOf = async (): Promise<string | undefined> => {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] }],
      });
      return described.resources[0].configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    };
    try {
      const layout = { partitions: 1, replicationFactor: 1 };
      expect(
        await ensureTopics(admin, layout, new TopicNamespace(), [
          { name, compacted: false, key: 'k', retentionMs: 3_600_000 },
        ]),
      ).toEqual([name]);
      expect(await retentionOf()).toBe('3600000');
      expect(
        await ensureTopics(admin, layout, new TopicNamespace(), [
          { name, compacted: false, key: 'k', retentionMs: 7_200_000 },
        ]),
      ).toEqual([]);
      expect(await retentionOf()).toBe('7200000');
    } finally {
      await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('validates on produce: a malformed event is refused and nothing is sent', async () => {
    const bad = { ...tenantEvent(randomUUID()), status: 'deleted-ish' } as unknown as TenantChangedEvent;
    await expect(publisher.publish(Topics.TenantsChanged, bad.tenantId, bad)).rejects.toThrow(EventSchemaError);
  });

  it('produces and consumes a valid event; a malformed one goes to the dead-letter topic and the consumer keeps going', async () => {
    const tenantId = randomUUID();
    const received: TenantChangedEvent[] = [];
    const groupId = `test-group-${randomUUID()}`;
    const done = new Promise<void>((resolve) => {
      void subscriber.subscribe<TenantChangedEvent>({
        groupId,
        topics: [Topics.TenantsChanged],
        fromBeginning: false,
        handler: async (event) => {
          if (event.tenantId === tenantId) {
            received.push(event);
            if (received.length === 2) {
              resolve();
            }
          }
        },
      });
    });
    // Wait until the group has its partitions, then produce: first valid, then garbage, then valid.
    await new Promise((r) => setTimeout(r, 4000));
    const first = tenantEvent(tenantId);
    await publisher.publish(Topics.TenantsChanged, tenantId, first);
    const producer = await client.producer();
    const marker = randomUUID();
    await producer.send({
      topic: testTopic(Topics.TenantsChanged),
      acks: -1,
      messages: [
        { key: tenantId, value: JSON.stringify({ eventId: marker, tenantId, type: 'tenant.changed', status: 'nope' }) },
        { key: tenantId, value: `not json ${marker}` },
      ],
    });
    const second = tenantEvent(tenantId);
    await publisher.publish(Topics.TenantsChanged, tenantId, second);

    await done;
    expect(received.map((e) => e.eventId)).toEqual([first.eventId, second.eventId]);
    // Handlers get the event exactly as published (validated, plain data: no class instances).
    expect(received[0]).toEqual(JSON.parse(JSON.stringify(first)));

    // Other environments on the same broker may dead-letter the same garbage: pick our group's copy.
    const ours = (m: { headers?: Record<string, unknown> }) =>
      String(m.headers?.[Headers.DeadLetterGroup]) === subscriber.groupName(groupId);
    const schemaDead = await waitForMessage(
      Topics.DeadLetter,
      (m) => ours(m) && m.value?.toString().includes(marker) === true && !m.value.toString().startsWith('not json'),
    );
    expect(schemaDead.headers?.[Headers.DeadLetterError]?.toString()).toMatch(/^schema: .*status/);
    expect(schemaDead.headers?.[Headers.DeadLetterTopic]?.toString()).toBe(testTopic(Topics.TenantsChanged));
    expect(schemaDead.headers?.[Headers.DeadLetterGroup]?.toString()).toBe(subscriber.groupName(groupId));
    const jsonDead = await waitForMessage(
      Topics.DeadLetter,
      (m) => ours(m) && m.value?.toString() === `not json ${marker}`,
    );
    expect(jsonDead.headers?.[Headers.DeadLetterError]?.toString()).toBe('value is not valid JSON');
  });

  it('batch mode: malformed events and events the handler rejects go to the dead-letter topic together; the rest is handled once', async () => {
    const tenantId = randomUUID();
    const rejectedTenant = randomUUID();
    const handled: string[] = [];
    const groupId = `test-batch-${randomUUID()}`;
    const marker = randomUUID();
    let resolveDone: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    await subscriber.subscribeBatch<TenantChangedEvent>({
      groupId,
      topics: [Topics.TenantsChanged],
      fromBeginning: false,
      handler: async (items) => {
        const rejected = items
          .filter((i) => i.event.tenantId === rejectedTenant)
          .map((i) => ({ meta: i.meta, error: 'unknown tenant' }));
        for (const { event } of items) {
          if (event.tenantId === tenantId) {
            handled.push(event.eventId);
            if (handled.length === 2) {
              resolveDone();
            }
          }
        }
        return rejected;
      },
    });
    await new Promise((r) => setTimeout(r, 4000));
    const first = tenantEvent(tenantId);
    const refused = [tenantEvent(rejectedTenant), tenantEvent(rejectedTenant)];
    const second = tenantEvent(tenantId);
    const producer = await client.producer();
    // One produce request, so the consumer sees them in one batch.
    await producer.send({
      topic: testTopic(Topics.TenantsChanged),
      acks: -1,
      messages: [
        { key: tenantId, value: JSON.stringify(first) },
        { key: tenantId, value: `not json ${marker}` },
        ...refused.map((e) => ({ key: tenantId, value: JSON.stringify(e) })),
        { key: tenantId, value: JSON.stringify(second) },
      ],
    });
    await done;
    expect(handled).toEqual([first.eventId, second.eventId]);
    const ours = (m: { headers?: Record<string, unknown> }) =>
      String(m.headers?.[Headers.DeadLetterGroup]) === subscriber.groupName(groupId);
    for (const e of refused) {
      const dead = await waitForMessage(
        Topics.DeadLetter,
        (m) => ours(m) && m.value?.toString().includes(e.eventId) === true,
      );
      expect(dead.headers?.[Headers.DeadLetterError]?.toString()).toBe('unknown tenant');
      expect(dead.headers?.[Headers.DeadLetterTopic]?.toString()).toBe(testTopic(Topics.TenantsChanged));
    }
    const jsonDead = await waitForMessage(
      Topics.DeadLetter,
      (m) => ours(m) && m.value?.toString() === `not json ${marker}`,
    );
    expect(jsonDead.headers?.[Headers.DeadLetterError]?.toString()).toBe('value is not valid JSON');
  });
});
