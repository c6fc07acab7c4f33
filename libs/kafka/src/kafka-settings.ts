import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { DEFAULT_TOPIC_PREFIX, TOPIC_PREFIX_PATTERN } from '@custody/contracts';

export interface KafkaSettings {
  clientId: string;
  brokers: string[];
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /**
   * Prefix of every topic's broker name (default `custody`: the names in `Topics`); separate
   * environments sharing a broker use their own, so neither reads the other's events.
   */
  topicPrefix?: string;
  /** Prefix of every consumer group (default: the topic prefix); separate environments sharing a broker use their own. */
  groupPrefix?: string;
  /**
   * Where a consumer group with no committed offsets starts: `earliest` (the default: a new
   * deployment processes everything) or `latest` (test harnesses on a shared broker).
   */
  newGroupStart?: 'earliest' | 'latest';
  /**
   * How long shutdown waits for a consumer to finish its batch and leave its group before its
   * connections are closed (default 10 s).
   */
  consumerStopTimeoutMs?: number;
  /** How long a send may wait for the broker's acknowledgement before it fails (default 30 s). */
  deliveryTimeoutMs?: number;
}

export function toKafkaConfig(settings: KafkaSettings): KafkaConfig {
  return {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl ?? false,
    sasl: settings.sasl as SASLOptions | undefined,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10000 },
  };
}

/** Reads `KAFKA_*` variables; used by the CLIs (apps validate them through their config class). */
export function kafkaSettingsFromEnv(clientId: string, env = process.env): KafkaSettings {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new Error('KAFKA_BROKERS: must list at least one broker (host:port, comma-separated)');
  }
  const topicPrefix = env.KAFKA_TOPIC_PREFIX || DEFAULT_TOPIC_PREFIX;
  if (!TOPIC_PREFIX_PATTERN.test(topicPrefix)) {
    throw new Error(`KAFKA_TOPIC_PREFIX: must match ${TOPIC_PREFIX_PATTERN.source} (letters, digits, '.', '_', '-')`);
  }
  const mechanism = env.KAFKA_SASL_MECHANISM as 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  return {
    clientId,
    brokers,
    ssl: env.KAFKA_SSL === 'true',
    topicPrefix,
    groupPrefix: env.KAFKA_GROUP_PREFIX || topicPrefix,
    newGroupStart: env.KAFKA_NEW_GROUP_START === 'latest' ? 'latest' : 'earliest',
    sasl: mechanism
      ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' }
      : undefined,
  };
}
