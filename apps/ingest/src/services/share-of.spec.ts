import { shareOf } from './rate-limiter';
import { TokenBuckets } from './rate-limiter';

describe('shareOf (each ingest replica enforces its share of a limit)', () => {
  it('is the whole limit for one replica', () => {
    expect(shareOf(80, 80, 1)).toEqual({ capacity: 80, refillPerSecond: 80 });
  });

  it('splits rate and burst evenly across replicas', () => {
    expect(shareOf(80, 80, 4)).toEqual({ capacity: 20, refillPerSecond: 20 });
    expect(shareOf(1 / 6, 45, 3)).toEqual({ capacity: 15, refillPerSecond: 1 / 18 });
  });

  it('never leaves a replica without a token of burst, and treats 0 replicas as 1', () => {
    expect(shareOf(2, 2, 5).capacity).toBe(1);
    expect(shareOf(80, 80, 0)).toEqual({ capacity: 80, refillPerSecond: 80 });
  });

  it('keeps the platform-wide total: N replicas with their shares admit what one replica with the whole limit admits', () => {
    let now = 0;
    const admitted = (replicas: number) => {
      const buckets = Array.from({ length: replicas }, () => new TokenBuckets(() => now));
      const { capacity, refillPerSecond } = shareOf(80, 80, replicas);
      let ok = 0;
      // 2 s of 400 requests/s, spread round-robin over the replicas.
      for (let i = 0; i < 800; i += 1) {
        now = i * 2.5;
        if (buckets[i % replicas].take('n:1', capacity, refillPerSecond)) {
          ok += 1;
        }
      }
      return ok;
    };
    const one = admitted(1);
    expect(one).toBeGreaterThanOrEqual(235);
    expect(one).toBeLessThanOrEqual(245);
    for (const n of [2, 3, 4]) {
      expect(Math.abs(admitted(n) - one)).toBeLessThanOrEqual(n);
    }
  });
});
