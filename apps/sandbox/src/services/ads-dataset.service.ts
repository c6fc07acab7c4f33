import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { currentContext } from '@custody/observability';
import { SandboxEnv } from '../config/sandbox.env';
import { ClockRepository } from '../repositories/clock.repository';
import { AdsGraphError } from './ads-graph-error';
import { objectOrNew } from './ads-objects';
import { parseEventsBatch, ServerEvent } from './ads-validation';

/** Events with the same event_name and event_id received within 48 hours are one event. */
export const DEDUP_WINDOW_MS = 48 * 3600 * 1000;

export interface EventsResponse {
  events_received: number;
  messages: string[];
  fbtrace_id: string;
}

export interface StoredEvent extends ServerEvent {
  received_at: string;
  test_event_code?: string;
}

interface Dataset {
  /** `event_name` NUL `event_id` → the first copy received (insertion order = arrival order). */
  events: Map<string, { event: StoredEvent; receivedAtMs: number }>;
  totals: DatasetTotals;
  /** The last rejections (newest last), what a caller was told. */
  rejections: Array<{
    at: string;
    event_index?: number;
    field?: string;
    error_subcode?: number;
    error_user_msg?: string;
  }>;
}

interface DatasetTotals {
  requests: number;
  events_received: number;
  events_accepted: number;
  events_deduplicated: number;
  rejected_requests: number;
  events_dropped: number;
}

const emptyTotals = (): DatasetTotals => ({
  requests: 0,
  events_received: 0,
  events_accepted: 0,
  events_deduplicated: 0,
  rejected_requests: 0,
  events_dropped: 0,
});

const MAX_REJECTIONS = 100;

/**
 * The simulated Conversions API datasets. A request is validated as a whole (one invalid event
 * rejects it); accepted events are kept once per (event_name, event_id) within 48 hours — a
 * duplicate is received (counted in `events_received`) but not kept again.
 */
@Injectable()
export class AdsDatasetService {
  private readonly datasets = new Map<string, Dataset>();

  constructor(
    private readonly env: SandboxEnv,
    private readonly clock: ClockRepository,
  ) {}

  receive(datasetId: string, body: unknown): EventsResponse {
    const nowMs = this.clock.nowMs();
    const dataset = this.dataset(datasetId);
    dataset.totals.requests += 1;
    let batch;
    try {
      batch = parseEventsBatch(body, Math.floor(nowMs / 1000));
    } catch (error) {
      dataset.totals.rejected_requests += 1;
      if (error instanceof AdsGraphError) {
        const data = error.spec.data ?? {};
        dataset.rejections.push({
          at: new Date(nowMs).toISOString(),
          ...(typeof data.event_index === 'number' ? { event_index: data.event_index } : {}),
          ...(typeof data.field === 'string' ? { field: data.field } : {}),
          error_subcode: error.spec.subcode,
          error_user_msg: error.spec.userMsg,
        });
        if (dataset.rejections.length > MAX_REJECTIONS) {
          dataset.rejections.shift();
        }
      }
      throw error;
    }
    for (const event of batch.events) {
      const key = `${event.event_name}\u0000${event.event_id}`;
      const first = dataset.events.get(key);
      if (first && nowMs - first.receivedAtMs <= DEDUP_WINDOW_MS) {
        dataset.totals.events_deduplicated += 1;
        continue;
      }
      dataset.events.delete(key); // a copy older than the window: the new one is kept, as the newest
      dataset.events.set(key, {
        event: {
          ...event,
          received_at: new Date(nowMs).toISOString(),
          ...(batch.testEventCode ? { test_event_code: batch.testEventCode } : {}),
        },
        receivedAtMs: nowMs,
      });
      dataset.totals.events_accepted += 1;
      if (dataset.events.size > this.env.SANDBOX_ADS_MAX_EVENTS) {
        dataset.events.delete(dataset.events.keys().next().value as string);
        dataset.totals.events_dropped += 1;
      }
    }
    dataset.totals.events_received += batch.events.length;
    return {
      events_received: batch.events.length,
      messages: [],
      fbtrace_id: currentContext()?.requestId ?? randomUUID(),
    };
  }

  private dataset(id: string): Dataset {
    return objectOrNew(this.datasets, id, 'datasets', this.env.SANDBOX_ADS_MAX_OBJECTS, () => ({
      events: new Map(),
      totals: emptyTotals(),
      rejections: [],
    }));
  }

  /** The accepted events (oldest first), optionally only those with one event_id. Unknown ids read as empty. */
  inspect(id: string, options: { limit: number; eventId?: string }): DatasetView {
    const d = this.datasets.get(id);
    const all = d ? [...d.events.values()].map((e) => e.event) : [];
    const matching = options.eventId !== undefined ? all.filter((e) => e.event_id === options.eventId) : all;
    return {
      dataset_id: id,
      count: d?.events.size ?? 0,
      events: matching.slice(-options.limit),
      totals: d ? { ...d.totals } : emptyTotals(),
      rejections: d ? [...d.rejections] : [],
    };
  }

  reset(): void {
    this.datasets.clear();
  }
}

export interface DatasetView {
  dataset_id: string;
  /** Events kept (accepted and not deduplicated, within the memory bound). */
  count: number;
  events: StoredEvent[];
  totals: Dataset['totals'];
  rejections: Dataset['rejections'];
}
