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
    let webhookDeliveries = 0;
    let webhookAttempts = 0;
    let idempotencyKeys = 0;
    let media = 0;
    for (const t of tenants) {
      const cutoff = new Date(Date.now() - t.retention_days * 86_400_000);
      webhookDeliveries += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
        m.query(
          `DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND created_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.tenant_id, cutoff, batch],
        ),
      );
      webhookAttempts += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
        m.query(
          `DELETE FROM webhook_attempts WHERE id IN (
             SELECT id FROM webhook_attempts WHERE tenant_id = $1 AND attempted_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.tenant_id, cutoff, batch],
        ),
      );
      idempotencyKeys += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
        m.query(
          `DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (
             SELECT tenant_id, key FROM idempotency_keys WHERE tenant_id = $1 AND created_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.tenant_id, cutoff, batch],
        ),
      );
    }
    // Uploaded media: past its 30 days, or past the tenant's retention if that is shorter.
    for (const t of tenants) {
      const cutoff = new Date(Date.now() - t.retention_days * 86_400_000);
      media += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
        m.query(
          `DELETE FROM media WHERE id IN (
             SELECT id FROM media WHERE tenant_id = $1 AND (expires_at < now() OR created_at < $2) LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.tenant_id, cutoff, batch],
        ),
      );
    }
    purged.labels('media').inc(media);
    // The ids of customers' messages (for mark-as-read), past the tenant's retention.
    let inboundMessages = 0;
    for (const t of tenants) {
      const cutoff = new Date(Date.now() - t.retention_days * 86_400_000);
      inboundMessages += await deleteInBatches(this.db, t.tenant_id, batch, (m) =>
        m.query(
          `DELETE FROM inbound_messages WHERE (tenant_id, message_id) IN (
             SELECT tenant_id, message_id FROM inbound_messages WHERE tenant_id = $1 AND received_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.tenant_id, cutoff, batch],
        ),
      );
    }
    purged.labels('inbound_messages').inc(inboundMessages);
    purged.labels('webhook_deliveries').inc(webhookDeliveries);
    purged.labels('webhook_attempts').inc(webhookAttempts);
    purged.labels('idempotency_keys').inc(idempotencyKeys);
    const report: IngestPurgeReport = {
      tenants: tenants.length,
      webhookDeliveries,
      webhookAttempts,
      idempotencyKeys,
      media,
      inboundMessages,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    this.last = report;
    if (webhookDeliveries + webhookAttempts + idempotencyKeys + media + inboundMessages > 0) {
      this.logger.log({ msg: 'retention purge', ...report });
    }
    return report;
  }
}
