import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { DEFAULT_TOPIC_PREFIX, Topic, TopicNamespace } from '@custody/contracts';

let namespace: TopicNamespace | undefined;

/**
 * The topics of this test file's environment: each integration file runs with a
 * KAFKA_TOPIC_PREFIX of its own (test/kafka-environment.js creates and deletes its topics).
 */
export function testTopics(): TopicNamespace {
  const prefix = process.env.KAFKA_TOPIC_PREFIX;
  if (namespace === undefined || namespace.prefix !== (prefix ?? DEFAULT_TOPIC_PREFIX)) {
    namespace = new TopicNamespace(prefix);
  }
  return namespace;
}

/** The broker name of a topic in this test file's environment. */
export function testTopic(topic: Topic): string {
  return testTopics().name(topic);
}

export function testKafka(): Kafka {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  return new Kafka({ clientId: `custody-test-${randomUUID().slice(0, 8)}`, brokers, logLevel: logLevel.NOTHING });
}

/**
 * Reads a topic of this test file's environment from the beginning with a fresh consumer group
 * until `match` accepts a message, or fails after `timeoutMs`. Returns the matching message.
 */
export async function waitForMessage(
  topic: Topic,
  match: (message: KafkaMessage) => boolean,
  timeoutMs = 20_000,
): Promise<KafkaMessage> {
  const consumer = testKafka().consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: testTopic(topic), fromBeginning: true });
    return await new Promise<KafkaMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message on ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message }) => {
          if (match(message)) {
            clearTimeout(timer);
            resolve(message);
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Every message on a broker topic (a name: `testTopic(...)`, or another environment's), from its
 * start to the end it had when called, parsed as JSON (null values skipped).
 */
export async function readTopic(name: string, timeoutMs = 30_000): Promise<Array<Record<string, any>>> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(name).finally(() => admin.disconnect());
  const remaining = new Map(
    ends.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]),
  );
  const events: Array<Record<string, any>> = [];
  if (remaining.size === 0) {
    return events;
  }
  const consumer = kafka.consumer({ groupId: `test-read-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: name, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`could not read ${name} to its end within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          if (message.value) {
            events.push(JSON.parse(message.value.toString('utf8')) as Record<string, any>);
          }
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) {
            remaining.delete(partition);
          }
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return events;
}

/**
 * Waits until `expected` consumer groups whose names start with `prefix.` exist and are Stable
 * (their members have partitions), so that a group starting at `latest` sees what comes next.
 */
export async function waitForStableGroups(prefix: string, expected: number, timeoutMs = 60_000): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.listGroups();
      const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(`${prefix}.`));
      if (ours.length >= expected) {
        const described = await admin.describeGroups(ours);
        if (described.groups.every((g) => g.state === 'Stable' && g.members.length > 0)) {
          return;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `consumer groups ${prefix}.* not stable within ${timeoutMs} ms (found ${ours.length} of ${expected})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
