import { backoffMs } from './backoff';
import { AUDIENCE_BATCH_MAX, chunk, EVENTS_BATCH_MAX, isFreshEnough } from './batching';

describe('batching', () => {
  it('chunks to the destination limits without losing or reordering items', () => {
    const items = Array.from({ length: 30_001 }, (_, i) => i);
    const batches = chunk(items, AUDIENCE_BATCH_MAX);
    expect(batches.map((b) => b.length)).toEqual([10_000, 10_000, 10_000, 1]);
    expect(batches.flat()).toEqual(items);
    expect(chunk(items.slice(0, 2500), EVENTS_BATCH_MAX).map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(chunk([], 10)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow();
  });

  it('treats events as sendable only well inside the 7-day window', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(isFreshEnough(new Date(now.getTime() - 6 * 24 * 3600 * 1000), now)).toBe(true);
    expect(isFreshEnough(new Date(now.getTime() - 7 * 24 * 3600 * 1000 + 30_000), now)).toBe(false);
  });
});

describe('backoffMs', () => {
  it('grows exponentially, stays within [half, full] of the step, and is capped', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(4, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(30, 1000, 60_000, () => 0)).toBe(30_000);
  });
});
