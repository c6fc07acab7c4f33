import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export function testKafka(): Kafka {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  return new Kafka({ clientId: `custody-test-${randomUUID().slice(0, 8)}`, brokers, logLevel: logLevel.NOTHING });
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `match` accepts a message,
 * or fails after `timeoutMs`. Returns the matching message.
 */
export async function waitForMessage(
  topic: string,
  match: (message: KafkaMessage) => boolean,
  timeoutMs = 20_000,
): Promise<KafkaMessage> {
  const consumer = testKafka().consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message on ${topic} within ${timeoutMs} ms`)), timeoutMs);
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
