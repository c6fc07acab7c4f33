import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { metricsRegistry } from '@custody/observability';
import { ReplicaRepository } from '../repositories/replica.repository';

const BEAT_MS = 5_000;
/** A replica missing three beats no longer counts. */
const LIVE_SECONDS = 15;

/**
 * This replica's share of the rate limits. The token buckets live in each replica's memory; with
 * N replicas behind a balancer each one enforces 1/N of a number's throughput and of the pair
 * rate, so the platform as a whole keeps the documented limits (assuming the balancer spreads
 * requests evenly, which round-robin does). N comes from heartbeat rows in the shared database;
 * while the database cannot be reached the last known N is kept.
 */
@Injectable()
export class ReplicaShareService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaShareService.name);
  private readonly id = randomUUID();
  private live = 1;
  private timer?: NodeJS.Timeout;

  constructor(private readonly replicas: ReplicaRepository) {
    metricsRegistry.removeSingleMetric('custody_ingest_live_replicas');
    const live = () => this.live;
    new Gauge({
      name: 'custody_ingest_live_replicas',
      help: 'Ingest replicas sharing the rate limits, as this replica last counted them',
      registers: [metricsRegistry],
      collect() {
        this.set(live());
      },
    });
  }

  /** How many replicas share the limits (at least 1). */
  liveReplicas(): number {
    return this.live;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), BEAT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.replicas.remove(this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      const live = await this.replicas.beat(this.id, LIVE_SECONDS);
      if (live !== this.live) {
        this.logger.log({ msg: 'rate limits shared by a new number of ingest replicas', replicas: live });
      }
      this.live = live;
    } catch (error) {
      this.logger.warn({
        msg: 'replica heartbeat failed; keeping the last replica count',
        replicas: this.live,
        err: error,
      });
    }
  }
}

/** A limit of `perSecond` (and a burst of `burst`) split across `replicas`: never below one token. */
export function shareOf(
  perSecond: number,
  burst: number,
  replicas: number,
): { capacity: number; refillPerSecond: number } {
  const n = Math.max(1, replicas);
  return { capacity: Math.max(1, burst / n), refillPerSecond: perSecond / n };
}
