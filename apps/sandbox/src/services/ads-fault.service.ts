import { Injectable } from '@nestjs/common';
import { ClockRepository } from '../repositories/clock.repository';
import { AdsErrorCodes, AdsErrorSubcodes, AdsGraphError } from './ads-graph-error';

export const FAULT_MODES = ['ok', 'down', 'slow', 'rate_limit'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
/** Which part of the ads API a fault hits. */
export const FAULT_SCOPES = ['all', 'audiences', 'events'] as const;
export type FaultScope = (typeof FAULT_SCOPES)[number];
/** `down`: the HTTP statuses a fault may answer with. */
export const FAULT_DOWN_STATUSES = [500, 502, 503, 504] as const;
/** `rate_limit`: the Graph codes a fault may answer with (4 application, 17 user, 613 or 80003 ads account). */
export const FAULT_RATE_LIMIT_CODES = [4, 17, 613, 80003] as const;

export interface FaultSettings {
  mode: FaultMode;
  /** `down`: the HTTP status answered (500, 502, 503 or 504). */
  status?: number;
  /** `slow`: added delay per request, in ms. */
  delayMs?: number;
  /** `rate_limit`: the Graph code (4 application, 17 user, 613 or 80003 ads-account). */
  code?: number;
  /** The fault ends by itself after this many ms. */
  forMs?: number;
  /** The fault ends by itself after this many requests. */
  remaining?: number;
  scope?: FaultScope;
}

export interface FaultState {
  mode: FaultMode;
  status: number;
  delayMs: number;
  code: number;
  scope: FaultScope;
  /** When the fault ends by itself (ISO time), if it does. */
  until?: string;
  /** Requests left before the fault ends by itself, if it does. */
  remaining?: number;
  /** Requests the fault has hit so far. */
  hits: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the simulated ads platform fail on request: down (5xx), slow, or rate limited (429 with
 * the Graph rate-limit error), for a while or for a number of requests, then recover by itself.
 */
@Injectable()
export class AdsFaultService {
  private state: {
    mode: FaultMode;
    status: number;
    delayMs: number;
    code: number;
    scope: FaultScope;
    untilMs?: number;
    remaining?: number;
    hits: number;
  } = {
    mode: 'ok',
    status: 503,
    delayMs: 0,
    code: AdsErrorCodes.UserRateLimit,
    scope: 'all',
    hits: 0,
  };

  constructor(private readonly clock: ClockRepository) {}

  set(settings: FaultSettings): FaultState {
    this.state = {
      mode: settings.mode,
      status: settings.status ?? 503,
      delayMs: settings.delayMs ?? (settings.mode === 'slow' ? 2_000 : 0),
      code: settings.code ?? AdsErrorCodes.UserRateLimit,
      scope: settings.scope ?? 'all',
      untilMs: settings.forMs !== undefined ? this.clock.nowMs() + settings.forMs : undefined,
      remaining: settings.remaining,
      hits: 0,
    };
    return this.current();
  }

  current(): FaultState {
    this.expire();
    const { untilMs, ...rest } = this.state;
    return { ...rest, ...(untilMs !== undefined ? { until: new Date(untilMs).toISOString() } : {}) };
  }

  /** Called before every ads API request: delays it, fails it, or lets it through. */
  async enter(scope: Exclude<FaultScope, 'all'>): Promise<void> {
    this.expire();
    const s = this.state;
    if (s.mode === 'ok' || (s.scope !== 'all' && s.scope !== scope)) {
      return;
    }
    s.hits += 1;
    if (s.remaining !== undefined) {
      s.remaining -= 1;
      if (s.remaining <= 0) {
        // This request is the last one the fault hits.
        this.state = { ...s, mode: 'ok', remaining: undefined, untilMs: undefined };
      }
    }
    switch (s.mode) {
      case 'slow':
        await sleep(s.delayMs);
        return;
      case 'down':
        throw new AdsGraphError({
          status: s.status,
          code: AdsErrorCodes.Temporary,
          message: 'Service temporarily unavailable',
          transient: true,
        });
      case 'rate_limit':
        throw new AdsGraphError({
          status: 429,
          code: s.code,
          ...(s.code === AdsErrorCodes.UserRateLimit ? { subcode: AdsErrorSubcodes.UserRequestLimit } : {}),
          message:
            s.code === AdsErrorCodes.AppRateLimit ? 'Application request limit reached' : 'User request limit reached',
          transient: true,
        });
    }
  }

  private expire(): void {
    if (this.state.untilMs !== undefined && this.clock.nowMs() >= this.state.untilMs) {
      this.state = { ...this.state, mode: 'ok', untilMs: undefined, remaining: undefined };
    }
  }
}
