#!/usr/bin/env node
/**
 * Creates Custody's topics (idempotent). Used by `npm start`, the test run, and the Helm hook Job.
 * Env: KAFKA_BROKERS (+ KAFKA_SSL/KAFKA_SASL_*), KAFKA_TOPIC_PARTITIONS (default 3),
 * KAFKA_TOPIC_REPLICATION_FACTOR (default 1).
 */
import { Kafka, logLevel } from 'kafkajs';
import { kafkaSettingsFromEnv, toKafkaConfig } from './kafka-settings';
import { ensureTopics } from './topics.admin';

async function main(): Promise<void> {
  const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? '3');
  const replicationFactor = Number(process.env.KAFKA_TOPIC_REPLICATION_FACTOR ?? '1');
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new Error('KAFKA_TOPIC_PARTITIONS: must be a positive integer');
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new Error('KAFKA_TOPIC_REPLICATION_FACTOR: must be a positive integer');
  }
  const kafka = new Kafka({ ...toKafkaConfig(kafkaSettingsFromEnv('custody-topics')), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, { partitions, replicationFactor });
    console.log(created.length ? `topics: created ${created.join(', ')}` : 'topics: all present');
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`create-topics: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
