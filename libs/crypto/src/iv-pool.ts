import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 12 * 1024;

/**
 * Random IVs from a pooled CSPRNG buffer: one `randomFillSync` per 1,024 IVs instead of one
 * `randomBytes` call each (it dominated small-message encryption). Each IV is copied out and its
 * bytes are used once; the pool is refilled from the CSPRNG, never reused.
 */
export class IvPool {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;

  constructor(private readonly size = 12) {
    if (POOL_BYTES % size !== 0) {
      throw new RangeError('the IV size must divide the pool size');
    }
  }

  next(): Buffer {
    if (this.offset + this.size > POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const iv = Buffer.from(this.pool.subarray(this.offset, this.offset + this.size));
    this.offset += this.size;
    return iv;
  }
}
