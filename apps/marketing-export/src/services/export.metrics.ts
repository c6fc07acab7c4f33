import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@custody/observability';

function counter(name: string, help: string, labelNames: string[]): Counter {
  return (
    (metricsRegistry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [metricsRegistry] })
  );
}

/** Records uploaded to a destination (audience members added, conversion events sent), by operation. */
export const exportSent = counter(
  'custody_export_sent_total',
  'Records the ads destination accepted, by operation (add, event)',
  ['operation'],
);

/** Candidates not sent, by reason (no_consent, revoked, authorization_withdrawn, too_old, erased). */
export const exportSuppressed = counter(
  'custody_export_suppressed_total',
  'Candidates suppressed before sending, by reason',
  ['reason'],
);

export const exportRejected = counter(
  'custody_export_rejected_total',
  'Records the destination refused for good or that ran out of attempts, by operation and reason',
  ['operation', 'reason'],
);

export const exportRemoved = counter(
  'custody_export_removed_total',
  'Audience members removed (confirmed by the destination), by cause',
  ['cause'],
);

export const destinationRequests = counter(
  'custody_export_destination_requests_total',
  'Requests to the ads destination, by operation and outcome',
  ['operation', 'outcome'],
);

export const removalLatency =
  (metricsRegistry.getSingleMetric('custody_export_removal_latency_seconds') as Histogram | undefined) ??
  new Histogram({
    name: 'custody_export_removal_latency_seconds',
    help: 'From the revoke or erasure that triggered a removal to the destination confirming it',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [metricsRegistry],
  });
