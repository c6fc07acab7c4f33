import { TokenBuckets } from './rate-limiter';

describe('TokenBuckets', () => {
  it('allows a burst up to capacity, then refills at the given rate', () => {
    let t = 0;
    const buckets = new TokenBuckets(() => t);
    for (let i = 0; i < 3; i += 1) {
      expect(buckets.take('n', 3, 1)).toBe(true);
    }
    expect(buckets.take('n', 3, 1)).toBe(false);
    t = 999;
    expect(buckets.take('n', 3, 1)).toBe(false);
    t = 1000;
    expect(buckets.take('n', 3, 1)).toBe(true);
    expect(buckets.take('other', 3, 1)).toBe(true);
  });

  it('refunds a token', () => {
    const buckets = new TokenBuckets(() => 0);
    expect(buckets.take('k', 1, 1)).toBe(true);
    expect(buckets.take('k', 1, 1)).toBe(false);
    buckets.refund('k');
    expect(buckets.take('k', 1, 1)).toBe(true);
  });
});
