import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { EntityManager } from 'typeorm';
import { deleteInBatches, TenantDb, TenantId } from '@custody/database';
import { metricsRegistry } from '@custody/observability';

const purged = new Counter({
  name: 'custody_retention_purged_total',
  help: 'Rows deleted by the retention purge, by kind',
  labelNames: ['kind'],
  registers: [metricsRegistry],
});

export interface PurgeReport {
  tenants: number;
  messages: number;
  conversations: number;
  startedAt: string;
  finishedAt: string;
}

export interface RetentionSettings {
  intervalSeconds: number;
  batchSize: number;
}

/**
 * Deletes what is past each tenant's retention (messages by their network time; conversations
 * with nothing left in the period), in bounded batches of rows locked with SKIP LOCKED, so
 * several replicas can run it at once without waiting on each other or deleting twice.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<PurgeReport>;
  last: PurgeReport | null = null;

  constructor(
    private readonly db: TenantDb,
    private readonly settings: RetentionSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.intervalSeconds > 0) {
      this.timer = setInterval(
        () =>
          void this.purge().catch((error: unknown) => this.logger.warn({ msg: 'retention purge failed', err: error })),
        this.settings.intervalSeconds * 1000,
      );
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs one purge now (or joins the one in progress). */
  purge(): Promise<PurgeReport> {
    this.running ??= this.purgeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purgeAll(): Promise<PurgeReport> {
    const startedAt = new Date().toISOString();
    const tenants: Array<{ id: TenantId; retention_days: number }> = await this.db.forPlatform((m) =>
      m.query(`SELECT id, retention_days FROM tenants`),
    );
    let messages = 0;
    let conversations = 0;
    for (const t of tenants) {
      const cutoff = new Date(Date.now() - t.retention_days * 86_400_000);
      messages += await this.batches(t.id, (m) =>
        m.query(
          `DELETE FROM messages WHERE message_id IN (
             SELECT message_id FROM messages WHERE tenant_id = $1 AND network_timestamp < $2
              ORDER BY network_timestamp LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.id, cutoff, this.settings.batchSize],
        ),
      );
      await this.batches(t.id, (m) =>
        m.query(
          `DELETE FROM message_statuses WHERE ctid IN (
             SELECT s.ctid FROM message_statuses s WHERE s.tenant_id = $1 AND s.network_timestamp < $2
                AND NOT EXISTS (SELECT 1 FROM messages mm WHERE mm.message_id = s.message_id)
              LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.id, cutoff, this.settings.batchSize],
        ),
      );
      conversations += await this.batches(t.id, (m) =>
        m.query(
          `DELETE FROM conversations WHERE id IN (
             SELECT c.id FROM conversations c WHERE c.tenant_id = $1 AND c.last_message_at < $2
                AND NOT EXISTS (SELECT 1 FROM messages mm WHERE mm.conversation_id = c.id)
              LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [t.id, cutoff, this.settings.batchSize],
        ),
      );
    }
    purged.labels('message').inc(messages);
    purged.labels('conversation').inc(conversations);
    const report = {
      tenants: tenants.length,
      messages,
      conversations,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    this.last = report;
    if (messages + conversations > 0) {
      this.logger.log({ msg: 'retention purge', ...report });
    }
    return report;
  }

  private batches(tenantId: TenantId, del: (m: EntityManager) => Promise<[unknown, number]>): Promise<number> {
    return deleteInBatches(this.db, tenantId, this.settings.batchSize, del);
  }
}
