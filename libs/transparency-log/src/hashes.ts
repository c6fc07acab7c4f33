import { createHash } from 'node:crypto';

/** SHA-256 output size: every Merkle hash in the log is 32 bytes. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 6962 §2.1: the hash of a leaf is SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 §2.1: an interior node is SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new TypeError('node children must be 32-byte hashes');
  }
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** Decodes a base64 (standard or url-safe) 32-byte hash, or throws with `what` in the message. */
export function decodeHash(value: unknown, what = 'hash'): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    throw new TypeError(`${what} must be a base64-encoded 32-byte hash`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== HASH_SIZE) {
    throw new TypeError(`${what} must be a base64-encoded 32-byte hash`);
  }
  return bytes;
}

export function encodeHash(hash: Uint8Array): string {
  return Buffer.from(hash).toString('base64');
}
