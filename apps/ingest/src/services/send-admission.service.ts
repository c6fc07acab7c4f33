import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

/** `POST /{version}/{phone-number-id}/messages` (the version segment is optional). */
const SEND_PATH = /^\/(?:v\d{1,3}(?:\.\d{1,3})?\/)?\d{1,32}\/messages(?:\?|$)/;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Admission control for sends. Past its capacity a process only gets slower for everyone: sends
 * wait in its queues until clients time out. Instead, a send is refused at once (503, Graph code 2,
 * which the Cloud API's clients retry with backoff) when too many sends are already waiting for
 * the broker (INGEST_MAX_PENDING_SENDS) or the event loop is already late
 * (INGEST_SHED_EVENT_LOOP_DELAY_MS, p99 in each of the last two half seconds). What is accepted stays fast.
 *
 * The first check runs before the framework: at twice the sustainable rate the excess waits in
 * the HTTP layer (parsing, routing, authentication) and never reaches a handler, so sends past
 * INGEST_MAX_PENDING_SENDS received and not yet answered, and every send while the event loop is
 * late, are refused right where Node hands the request over, before any of that work: a refusal
 * costs the HTTP parse and a short write, so the loop turns faster the more it refuses.
 */
@Injectable()
export class SendAdmissionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending = 0;
  private received = 0;
  private lateLoop = false;
  private lateBefore = false;
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly env: IngestEnv,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) {
      this.guard(server);
    }
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

  /** Puts the in-flight check in front of the framework's own request listener. */
  private guard(server: Server): void {
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && SEND_PATH.test(req.url ?? '')) {
        const reason =
          this.received >= this.env.INGEST_MAX_PENDING_SENDS ? 'in_flight' : this.lateLoop ? 'event_loop' : null;
        if (reason) {
          refused.labels(reason).inc();
          res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
          res.end(shedBody());
          return;
        }
        this.received += 1;
        let settled = false;
        const settle = (): void => {
          if (!settled) {
            settled = true;
            this.received -= 1;
          }
        };
        res.once('finish', settle);
        res.once('close', settle);
      }
      for (const listener of listeners) {
        listener.call(server, req, res);
      }
    });
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

/** The Graph error of a refused send, as the GraphExceptionFilter writes it. */
function shedBody(): string {
  return JSON.stringify({
    error: {
      message: 'Service temporarily unavailable',
      type: 'OAuthException',
      code: 2,
      error_data: {
        messaging_product: 'whatsapp',
        details: 'Custody is at capacity right now; retry the send after a short delay',
      },
      fbtrace_id: randomUUID(),
    },
  });
}
