import { randomInt, randomUUID } from 'node:crypto';

/** Random digits of a given length (first digit non-zero), for ids that must not collide across tests. */
export function uniqueDigits(length = 15): string {
  let out = String(randomInt(1, 10));
  while (out.length < length) {
    out += String(randomInt(0, 10));
  }
  return out;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
