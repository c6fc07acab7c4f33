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
