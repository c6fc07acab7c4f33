/**
 * Token buckets keyed by string: `capacity` tokens, refilled at `refillPerSecond`. Used for the
 * per-number throughput (80 messages/s by default) and the pair rate to one customer. In-memory
 * per ingest replica; each replica takes its share of a limit (shareOf, with the live count of ReplicaRegistry), so the
 * platform as a whole keeps it (see docs/messaging.md).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token if available. */
  take(key: string, capacity: number, refillPerSecond: number): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 200_000) {
      this.evictFull(capacity);
    }
    return true;
  }

  /** Gives a token back (the request was rejected later for another reason). */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens += 1;
    }
  }

  private evictFull(capacity: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens >= capacity - 1) {
        this.buckets.delete(key);
      }
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
