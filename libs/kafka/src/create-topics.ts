#!/usr/bin/env node
/**
 * Creates Custody's topics (idempotent). Used by `npm start`, the test run, and the Helm hook Job.
 * Env: KAFKA_BROKERS (+ KAFKA_SSL/KAFKA_SASL_*), KAFKA_TOPIC_PREFIX (default `custody`: the
 * environment's topics are `<prefix>.<domain>.<event>.v<N>`), KAFKA_TOPIC_PARTITIONS (default 3),
 * KAFKA_TOPIC_REPLICATION_FACTOR (default 1).
 */
import { Kafka, logLevel } from 'kafkajs';
import { TopicNamespace } from '@custody/contracts';
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
  const settings = kafkaSettingsFromEnv('custody-topics');
  const topics = new TopicNamespace(settings.topicPrefix);
  const kafka = new Kafka({ ...toKafkaConfig(settings), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, { partitions, replicationFactor }, topics);
    console.log(created.length ? `topics: created ${created.join(', ')}` : `topics: all ${topics.prefix}.* present`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`create-topics: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
