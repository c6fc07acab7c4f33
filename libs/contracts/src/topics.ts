/**
 * Every Kafka topic Custody uses, defined once. Names are `custody.<domain>.<event>.v<N>`; a
 * breaking change of an event's schema gets a new topic version. These are the topics' names in
 * code, in schemas, in outbox rows and in metrics; on the broker, `custody` is replaced by the
 * environment's topic prefix (see `TopicNamespace`), so environments sharing a broker never read
 * each other's events.
 */
export const Topics = {
  TenantsChanged: 'custody.tenants.changed.v1',
  MessagesInbound: 'custody.messages.inbound.v1',
  MessagesOutbound: 'custody.messages.outbound.v1',
  MessagesStatus: 'custody.messages.status.v1',
  MessagesStored: 'custody.messages.stored.v1',
  ConsentEvents: 'custody.consent.events.v1',
  ConsentCheckpoints: 'custody.consent.checkpoints.v1',
  MarketingAuthorized: 'custody.marketing.authorized.v1',
  ExportResults: 'custody.export.results.v1',
  ErasureRequests: 'custody.erasure.requests.v1',
  ErasureResults: 'custody.erasure.results.v1',
  OffboardingRequests: 'custody.offboarding.requests.v1',
  OffboardingResults: 'custody.offboarding.results.v1',
  DeadLetter: 'custody.dlq.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export interface TopicSpec {
  name: Topic;
  /** Compacted topics keep the latest event per key (state, not history). */
  compacted: boolean;
  /** How the key is built; keys keep order where it matters. */
  key: string;
  /**
   * Retention (`retention.ms`) when a topic must not keep its events as long as the broker's
   * default, e.g. because they carry a customer's number for a short-lived purpose.
   */
  retentionMs?: number;
}

/** How long erasure requests (which carry the customer's WhatsApp id) stay on their topic: 3 days. */
export const ERASURE_REQUESTS_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * How long topics that carry message events (their content sealed under the tenant's data key) keep
 * them: 7 days, set on the topic rather than left to the broker's default, and shorter than the
 * longest retention a tenant may be given (RETENTION_MAX_DAYS, default 365). A tenant with a
 * shorter retention relies on the sealing: offboarding destroys the key. The dead-letter topic
 * keeps failed events (sealed) as long, for an operator to replay.
 */
export const MESSAGE_TOPICS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: Topics.TenantsChanged, compacted: true, key: 'tenantId' },
  {
    name: Topics.MessagesInbound,
    compacted: false,
    key: 'tenantId:conversationId',
    retentionMs: MESSAGE_TOPICS_RETENTION_MS,
  },
  {
    name: Topics.MessagesOutbound,
    compacted: false,
    key: 'tenantId:conversationId',
    retentionMs: MESSAGE_TOPICS_RETENTION_MS,
  },
  {
    name: Topics.MessagesStatus,
    compacted: false,
    key: 'tenantId:conversationId',
    retentionMs: MESSAGE_TOPICS_RETENTION_MS,
  },
  {
    name: Topics.MessagesStored,
    compacted: false,
    key: 'tenantId:conversationId',
    retentionMs: MESSAGE_TOPICS_RETENTION_MS,
  },
  { name: Topics.ConsentEvents, compacted: true, key: 'tenantId:subject:purpose' },
  { name: Topics.ConsentCheckpoints, compacted: true, key: 'tenantId' },
  {
    name: Topics.MarketingAuthorized,
    compacted: false,
    key: 'tenantId:conversationId',
    retentionMs: MESSAGE_TOPICS_RETENTION_MS,
  },
  { name: Topics.ExportResults, compacted: false, key: 'tenantId:destination' },
  {
    name: Topics.ErasureRequests,
    compacted: false,
    key: 'tenantId:requestId',
    retentionMs: ERASURE_REQUESTS_RETENTION_MS,
  },
  { name: Topics.ErasureResults, compacted: false, key: 'tenantId:requestId' },
  { name: Topics.OffboardingRequests, compacted: false, key: 'tenantId' },
  { name: Topics.OffboardingResults, compacted: false, key: 'tenantId' },
  { name: Topics.DeadLetter, compacted: false, key: 'original key', retentionMs: MESSAGE_TOPICS_RETENTION_MS },
];

/** The topic prefix of an environment that sets none: the broker names are then `Topics` as they are. */
export const DEFAULT_TOPIC_PREFIX = 'custody';

/** A topic prefix Kafka accepts in a topic name (letters, digits, `.`, `_`, `-`), at most 100 characters. */
export const TOPIC_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The broker name of a `custody.`-named topic in the environment with this prefix. */
export function brokerTopicName(topic: string, prefix: string): string {
  if (!topic.startsWith(`${DEFAULT_TOPIC_PREFIX}.`)) {
    throw new Error(`not a Custody topic name: ${topic}`);
  }
  return prefix + topic.slice(DEFAULT_TOPIC_PREFIX.length);
}

/**
 * The broker names of one environment's topics, resolved once (at boot) from its prefix: each of
 * `Topics` with `custody` replaced by the prefix, e.g. `staging.messages.inbound.v1`. Lookups
 * either way are map reads, so nothing builds a string per message.
 */
export class TopicNamespace {
  private readonly names = new Map<Topic, string>();
  private readonly topics = new Map<string, Topic>();

  constructor(readonly prefix: string = DEFAULT_TOPIC_PREFIX) {
    if (!TOPIC_PREFIX_PATTERN.test(prefix)) {
      throw new Error(`topic prefix ${JSON.stringify(prefix)}: must match ${TOPIC_PREFIX_PATTERN.source}`);
    }
    for (const topic of Object.values(Topics)) {
      const name = brokerTopicName(topic, prefix);
      this.names.set(topic, name);
      this.topics.set(name, topic);
    }
  }

  /** The broker name of a topic in this environment. */
  name(topic: Topic): string {
    const name = this.names.get(topic);
    if (name === undefined) {
      throw new Error(`not a Custody topic: ${String(topic)}`);
    }
    return name;
  }

  /** The topic a broker name stands for in this environment, or undefined for any other name. */
  topicOf(name: string): Topic | undefined {
    return this.topics.get(name);
  }
}

/** Headers every produced message carries. */
export const Headers = {
  EventType: 'custody-event-type',
  RequestId: 'custody-request-id',
  TenantId: 'custody-tenant-id',
  DeadLetterError: 'custody-dlq-error',
  DeadLetterTopic: 'custody-dlq-topic',
  DeadLetterPartition: 'custody-dlq-partition',
  DeadLetterOffset: 'custody-dlq-offset',
  DeadLetterGroup: 'custody-dlq-group',
} as const;
