import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { DomainError } from './errors';

/** 429 in the API's error shape; the `Retry-After` header is already on the response. */
export class RateLimitedException extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'rate_limited', `Too many requests: retry after ${retryAfterSeconds} s`);
  }
}

/**
 * Token buckets by key: `capacity` tokens refilled at `perSecond`. `take` answers 0 when a token
 * was taken, else the seconds until one is back (for `Retry-After`). In memory; with N replicas
 * each enforces 1/N of the limit (`share`), so the platform as a whole keeps it, the way ingest's
 * send limits do.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  take(key: string, capacity: number, perSecond: number): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) {
      for (const [k, b] of this.buckets) {
        if (b.tokens >= capacity - 1 && k !== key) {
          this.buckets.delete(k);
        }
      }
    }
    if (bucket.tokens < 1) {
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    }
    bucket.tokens -= 1;
    return 0;
  }
}

export interface RateLimitSettings {
  /** Requests per second per tenant (or per non-tenant principal) on authenticated routes; 0: off. */
  apiPerSecond: number;
  /** Burst of an API bucket. */
  apiBurst: number;
  /** Token requests per minute per client id, and ten times that per source address; 0: off. */
  tokenPerMinute: number;
}

const RATE_LIMIT_KEY = 'custody:rate-limit';

/** Marks the token endpoint: limited per client id and per source address, before authentication. */
export const TokenEndpointRateLimit = (): MethodDecorator => SetMetadata(RATE_LIMIT_KEY, 'token');

interface LimitedRequest {
  principal?: { tenantId?: string; subject?: string };
  body?: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}

/**
 * Rate limits of every API: authenticated routes per tenant (or per principal without a tenant:
 * operators, platform auditors), the token endpoint per client id and per source address (so
 * guessing secrets is slow). Runs after authentication (an interceptor), so unauthenticated noise
 * is answered by the auth guard without spending a tenant's budget. `share()` is how many
 * replicas divide the limits. A refused request gets 429 with `Retry-After`, in the app's error
 * shape (its exception filter).
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly buckets = new KeyedBuckets();

  constructor(
    private readonly reflector: Reflector,
    private readonly settings: RateLimitSettings,
    private readonly share: () => number,
    /** Routes with limits of their own (ingest's send endpoint: per number and per pair). */
    private readonly exempt: (context: ExecutionContext) => boolean = () => false,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || this.exempt(context)) {
      return next.handle();
    }
    const req = context.switchToHttp().getRequest<LimitedRequest>();
    const keys = this.keysOf(context, req);
    const n = Math.max(1, this.share());
    for (const { key, perSecond, burst } of keys) {
      const wait = this.buckets.take(key, Math.max(1, burst / n), perSecond / n);
      if (wait > 0) {
        const res = context.switchToHttp().getResponse<{
          setHeader?: (k: string, v: string) => void;
          header?: (k: string, v: string) => void;
          raw?: { setHeader(k: string, v: string): void };
        }>();
        (res.raw ?? res).setHeader?.('retry-after', String(wait));
        throw new RateLimitedException(wait);
      }
    }
    return next.handle();
  }

  private keysOf(
    context: ExecutionContext,
    req: LimitedRequest,
  ): Array<{ key: string; perSecond: number; burst: number }> {
    const kind = this.reflector.get<string | undefined>(RATE_LIMIT_KEY, context.getHandler());
    if (kind === 'token') {
      if (this.settings.tokenPerMinute <= 0) {
        return [];
      }
      const perSecond = this.settings.tokenPerMinute / 60;
      const clientId = clientIdOf(req);
      return [
        // Many clients may share an address (a NAT, an office): ten times a client's budget.
        {
          key: `src:${req.socket?.remoteAddress ?? 'unknown'}`,
          perSecond: perSecond * 10,
          burst: this.settings.tokenPerMinute * 10,
        },
        ...(clientId ? [{ key: `client:${clientId}`, perSecond, burst: this.settings.tokenPerMinute }] : []),
      ];
    }
    const principal = req.principal;
    if (!principal || this.settings.apiPerSecond <= 0) {
      return [];
    }
    const who = principal.tenantId ? `tenant:${principal.tenantId}` : `principal:${principal.subject ?? 'unknown'}`;
    return [{ key: who, perSecond: this.settings.apiPerSecond, burst: this.settings.apiBurst }];
  }
}

/** The client id of a token request: HTTP Basic's user, or `client_id` in the body. */
function clientIdOf(req: LimitedRequest): string | undefined {
  const header = req.headers.authorization;
  const basic = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 ? decoded.slice(0, colon).slice(0, 200) : undefined;
  }
  const id = req.body?.client_id;
  return typeof id === 'string' ? id.slice(0, 200) : undefined;
}
