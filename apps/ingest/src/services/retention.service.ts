import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { deleteInBatches, TenantDb, TenantId } from '@custody/database';
import { metricsRegistry } from '@custody/observability';
import { IngestEnv } from '../config/ingest.env';

const purged = new Counter({
  name: 'custody_ingest_retention_purged_total',
  help: "Rows of ingest deleted past their tenant's retention, by table",
  labelNames: ['table'],
  registers: [metricsRegistry],
});

/**
 * What ingest purges past a tenant's retention (`$2`, the cutoff), each table by its key: webhook
 * deliveries (queued payloads and delivered records), webhook attempts, stored send responses,
 * uploaded media (also past its own 30 days) and the ids of customers' messages.
 */
const PURGED = [
  { kind: 'webhookDeliveries', table: 'webhook_deliveries', key: 'id', past: 'created_at < $2' },
  { kind: 'webhookAttempts', table: 'webhook_attempts', key: 'id', past: 'attempted_at < $2' },
  { kind: 'idempotencyKeys', table: 'idempotency_keys', key: 'tenant_id, key', past: 'created_at < $2' },
  { kind: 'media', table: 'media', key: 'id', past: '(expires_at < now() OR created_at < $2)' },
  { kind: 'inboundMessages', table: 'inbound_messages', key: 'tenant_id, message_id', past: 'received_at < $2' },
] as const;
type PurgedKind = (typeof PURGED)[number]['kind'];

export interface IngestPurgeReport {
  tenants: number;
  webhookDeliveries: number;
  webhookAttempts: number;
  idempotencyKeys: number;
  media: number;
  inboundMessages: number;
  startedAt: string;
  finishedAt: string;
}

/**
 * ingest's part of each tenant's retention: webhook deliveries (payloads of stored messages and
 * statuses until delivered), webhook attempts, stored send responses and uploaded media older than
 * the tenant's retention (media also past its own 30 days) are deleted, in bounded batches (SKIP LOCKED: replicas may run it at once). The
 * retention comes with the tenant's events (`tenant_retention`); a tenant not yet known there is
 * left until its next event.
 */
@Injectable()
export class IngestRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestRetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<IngestPurgeReport>;
  last: IngestPurgeReport | null = null;

  constructor(
    private readonly db: TenantDb,
    private readonly env: IngestEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.RETENTION_PURGE_INTERVAL_SECONDS > 0) {
      this.timer = setInterval(
        () =>
          void this.purge().catch((error: unknown) => this.logger.warn({ msg: 'retention purge failed', err: error })),
        this.env.RETENTION_PURGE_INTERVAL_SECONDS * 1000,
      );
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs one purge now (or joins the one in progress). */
  purge(): Promise<IngestPurgeReport> {
    this.running ??= this.purgeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purgeAll(): Promise<IngestPurgeReport> {
    const startedAt = new Date().toISOString();
    const tenants: Array<{ tenant_id: TenantId; retention_days: number }> = await this.db.forPlatform((m) =>
      m.query(`SELECT tenant_id, retention_days FROM tenant_retention`),
    );
    const batch = this.env.RETENTION_BATCH_SIZE;
    const counts = Object.fromEntries(PURGED.map((p) => [p.kind, 0])) as Record<PurgedKind, number>;
    for (const t of tenants) {
      const cutoff = new Date(Date.now() - t.retention_days * 86_400_000);
      for (const { kind, table, key, past } of PURGED) {
        counts[kind] += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
          m.query(
            `DELETE FROM ${table} WHERE (${key}) IN (
               SELECT ${key} FROM ${table} WHERE tenant_id = $1 AND ${past} LIMIT $3 FOR UPDATE SKIP LOCKED)`,
            [t.tenant_id, cutoff, batch],
          ),
        );
      }
    }
    for (const { kind, table } of PURGED) {
      purged.labels(table).inc(counts[kind]);
    }
    const report: IngestPurgeReport = {
      tenants: tenants.length,
      ...counts,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    this.last = report;
    if (Object.values(counts).some((n) => n > 0)) {
      this.logger.log({ msg: 'retention purge', ...report });
    }
    return report;
  }
}
