import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per process; every app exposes it at /metrics. Metric names start with `custody_`. */
export const metricsRegistry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'custody_' });
    defaultsCollected = true;
  }
}

function getOrCreate<T>(name: string, create: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export const httpRequestDuration = getOrCreate(
  'custody_http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'custody_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metricsRegistry],
    }),
);

export const kafkaMessagesConsumed = getOrCreate(
  'custody_kafka_messages_consumed_total',
  () =>
    new Counter({
      name: 'custody_kafka_messages_consumed_total',
      help: 'Kafka messages handled, by topic and outcome (ok, dead_lettered, retried)',
      labelNames: ['topic', 'group', 'outcome'],
      registers: [metricsRegistry],
    }),
);

export const kafkaMessagesProduced = getOrCreate(
  'custody_kafka_messages_produced_total',
  () =>
    new Counter({
      name: 'custody_kafka_messages_produced_total',
      help: 'Kafka messages durably accepted by the broker, by topic',
      labelNames: ['topic'],
      registers: [metricsRegistry],
    }),
);

const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The message path's stages, for a latency breakdown under load (the benchmark reads them from
 * /metrics): how long an event waited on the broker before its consumer took it (from the
 * record's produce time), how long a consumer's handler took per chunk, and how long a publish
 * waited for the broker's acknowledgement (coalescing queue included).
 */
export const kafkaConsumeLag = getOrCreate(
  'custody_kafka_consume_lag_seconds',
  () =>
    new Histogram({
      name: 'custody_kafka_consume_lag_seconds',
      help: 'Time from an event being produced to its consumer handling it, by topic and group',
      labelNames: ['topic', 'group'],
      buckets: STAGE_BUCKETS,
      registers: [metricsRegistry],
    }),
);

export const kafkaHandlerDuration = getOrCreate(
  'custody_kafka_handler_seconds',
  () =>
    new Histogram({
      name: 'custody_kafka_handler_seconds',
      help: 'Duration of a consumer handler call (one chunk of a batch, or one event), by topic and group',
      labelNames: ['topic', 'group'],
      buckets: STAGE_BUCKETS,
      registers: [metricsRegistry],
    }),
);

export const kafkaPublishDuration = getOrCreate(
  'custody_kafka_publish_seconds',
  () =>
    new Histogram({
      name: 'custody_kafka_publish_seconds',
      help: 'Time from a publish call to the broker acknowledging its events (acks=all), by topic',
      labelNames: ['topic'],
      buckets: STAGE_BUCKETS,
      registers: [metricsRegistry],
    }),
);

/**
 * Events a consumer skipped because this deployment does not know their tenant (e.g. one
 * offboarded since the event was produced). Counted, not logged per event: a burst of them must
 * not flood the log, and nothing is answered for a tenant that is not ours.
 */
export const unknownTenantEvents = getOrCreate(
  'custody_unknown_tenant_events_total',
  () =>
    new Counter({
      name: 'custody_unknown_tenant_events_total',
      help: 'Events skipped because their tenant is unknown to this service, by topic',
      labelNames: ['topic'],
      registers: [metricsRegistry],
    }),
);
