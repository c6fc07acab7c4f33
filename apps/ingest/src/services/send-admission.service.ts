import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter } from 'prom-client';
import { metricsRegistry } from '@custody/observability';
import { IngestEnv } from '../config/ingest.env';

const refused = new Counter({
  name: 'custody_send_shed_total',
  help: 'Sends refused with 503 (Graph code 2) because ingest was at capacity, by reason',
  labelNames: ['reason'],
  registers: [metricsRegistry],
});

/**
 * Admission control for sends. Past its capacity a process only gets slower for everyone: sends
 * wait in its queues until clients time out. Instead, a send is refused at once (503, Graph code 2,
 * which the Cloud API's clients retry with backoff) when too many sends are already waiting for
 * the broker (INGEST_MAX_PENDING_SENDS) or the event loop is already late
 * (INGEST_SHED_EVENT_LOOP_DELAY_MS, p99 in each of the last two half seconds). What is accepted stays fast.
 */
@Injectable()
export class SendAdmissionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending = 0;
  private lateLoop = false;
  private lateBefore = false;
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private timer?: NodeJS.Timeout;

  constructor(private readonly env: IngestEnv) {}

  onApplicationBootstrap(): void {
    this.delay.enable();
    this.timer = setInterval(() => {
      // Late for two windows in a row: a sustained overload, not one long GC or compile.
      const late = this.delay.percentile(99) / 1e6 > this.env.INGEST_SHED_EVENT_LOOP_DELAY_MS;
      this.lateLoop = late && this.lateBefore;
      this.lateBefore = late;
      this.delay.reset();
    }, 500);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  /** Why a new send must be refused now, or null when it may go ahead. */
  refusal(): 'pending' | 'event_loop' | null {
    const reason = this.pending >= this.env.INGEST_MAX_PENDING_SENDS ? 'pending' : this.lateLoop ? 'event_loop' : null;
    if (reason) {
      refused.labels(reason).inc();
    }
    return reason;
  }

  /** Runs an admitted send, counting it as pending until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.pending += 1;
    try {
      return await work();
    } finally {
      this.pending -= 1;
    }
  }
}
