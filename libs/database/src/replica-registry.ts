import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { metricsRegistry } from '@custody/observability';
import { TenantDb } from './tenant-db';

/** The heartbeat table a service needs for ReplicaRegistry (platform data: no tenant column). */
export const REPLICAS_TABLE_SQL = `CREATE TABLE replicas (
  id uuid PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now()
)`;

const BEAT_MS = 5_000;
/** A replica missing three beats no longer counts. */
const LIVE_SECONDS = 15;

/**
 * How many replicas of this service are alive, from heartbeat rows in the service's own schema
 * (`replicas`, see REPLICAS_TABLE_SQL): in-memory rate limits divide by it, so N replicas together
 * keep one limit (each enforces its share, assuming the balancer spreads requests evenly, which
 * round-robin does). While the database cannot be reached the last count is kept. Exported as
 * `custody_live_replicas`.
 */
@Injectable()
export class ReplicaRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaRegistry.name);
  private readonly id = randomUUID();
  private count = 1;
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: TenantDb) {
    metricsRegistry.removeSingleMetric('custody_live_replicas');
    const live = () => this.count;
    new Gauge({
      name: 'custody_live_replicas',
      help: 'Replicas of this service sharing its rate limits, as this replica last counted them',
      registers: [metricsRegistry],
      collect() {
        this.set(live());
      },
    });
  }

  /** Live replicas, at least 1. */
  live(): number {
    return this.count;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), BEAT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.db.forPlatform((m) => m.query(`DELETE FROM replicas WHERE id = $1`, [this.id])).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      const live = await this.db.forPlatform(async (m) => {
        await m.query(`INSERT INTO replicas (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET last_seen = now()`, [
          this.id,
        ]);
        await m.query(`DELETE FROM replicas WHERE last_seen < now() - interval '1 hour'`);
        const rows: Array<{ live: number }> = await m.query(
          `SELECT count(*)::int AS live FROM replicas WHERE last_seen > now() - make_interval(secs => $1)`,
          [LIVE_SECONDS],
        );
        return Math.max(1, rows[0]?.live ?? 1);
      });
      if (live !== this.count) {
        this.logger.log({ msg: 'rate limits now shared by a new number of replicas', replicas: live });
      }
      this.count = live;
    } catch (error) {
      this.logger.warn({
        msg: 'cannot count the live replicas; keeping the last count',
        replicas: this.count,
        err: error,
      });
    }
  }
}
