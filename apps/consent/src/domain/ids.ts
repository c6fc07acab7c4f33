import { randomFillSync } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Entry ids are
 * unique-indexed, and time-ordered ids land on the index's right edge instead of random pages,
 * which keeps appends fast as a log grows.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  randomInto(bytes);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Random bytes drawn from a pool refilled 4 KiB at a time: a system call per id would cost more
// than the rest of an append's id work.
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomInto(target: Buffer): void {
  if (used + target.length > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  pool.copy(target, 0, used, used + target.length);
  used += target.length;
}
