import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Client ids and secrets. Secrets carry 256 random bits, so a fast hash is enough to store them. */
export function newClientId(): string {
  return `cid_${randomBytes(12).toString('base64url')}`;
}

export function newClientSecret(): string {
  return `cs_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
