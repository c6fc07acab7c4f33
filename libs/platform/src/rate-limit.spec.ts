import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { of } from 'rxjs';
import { KeyedBuckets, RateLimitedException, RateLimitInterceptor } from './rate-limit';

describe('KeyedBuckets', () => {
  it('takes up to the burst, then answers the seconds until a token is back', () => {
    let now = 0;
    const buckets = new KeyedBuckets(() => now);
    expect([1, 2, 3].map(() => buckets.take('a', 3, 0.5))).toEqual([0, 0, 0]);
    expect(buckets.take('a', 3, 0.5)).toBe(2);
    expect(buckets.take('b', 3, 0.5)).toBe(0);
    now += 2000;
    expect(buckets.take('a', 3, 0.5)).toBe(0);
  });
});

describe('RateLimitInterceptor', () => {
  const context = (principal: object | undefined, headers: Record<string, string> = {}) => {
    const setHeader = jest.fn();
    const ctx = {
      getType: () => 'http',
      getHandler: () => () => undefined,
      getClass: () => Object,
      switchToHttp: () => ({
        getRequest: () => ({ principal, headers, socket: { remoteAddress: '10.0.0.1' } }),
        getResponse: () => ({ setHeader }),
      }),
    } as unknown as ExecutionContext;
    return { ctx, setHeader };
  };

  it('divides a tenant limit among the replicas and answers 429 with Retry-After', () => {
    let replicas = 2;
    const interceptor = new RateLimitInterceptor(
      new Reflector(),
      { apiPerSecond: 10, apiBurst: 4, tokenPerMinute: 60 },
      () => replicas,
    );
    const next = { handle: () => of('ok') };
    const { ctx, setHeader } = context({ tenantId: 't1' });
    interceptor.intercept(ctx, next);
    interceptor.intercept(ctx, next);
    // The third within the burst of 4 / 2 replicas is refused.
    expect(() => interceptor.intercept(ctx, next)).toThrow(RateLimitedException);
    expect(setHeader).toHaveBeenCalledWith('retry-after', '1');
    // Another tenant has its own budget; unauthenticated routes are not counted here.
    expect(() => interceptor.intercept(context({ tenantId: 't2' }).ctx, next)).not.toThrow();
    replicas = 1;
    expect(() => interceptor.intercept(context(undefined).ctx, next)).not.toThrow();
  });
});
