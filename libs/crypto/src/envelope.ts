import { DecryptionError } from './errors';

/** The envelope format under a tenant's data key: `v1.<keyVersion>.<base64url iv>.<base64url ciphertext+tag>`. */
export const ENVELOPE_FORMAT = 'v1';
/**
 * The envelope format under a conversation key (crypto-shredding per conversation):
 * `v2.<base64url key id (16 bytes)>.<base64url iv>.<base64url ciphertext+tag>`.
 */
export const CONVERSATION_ENVELOPE_FORMAT = 'v2';
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface Envelope {
  /** The tenant data key version (v1); 0 in a v2 envelope, whose key is a conversation key. */
  keyVersion: number;
  /** v2 only: the id (a UUID) of the conversation key it was sealed with. */
  conversationKeyId?: string;
  iv: Buffer;
  /** Ciphertext without the tag. */
  ciphertext: Buffer;
  tag: Buffer;
}

// Only the short header goes through a regular expression: the body can be megabytes, and the
// canonical base64url check below already refuses every character outside the alphabet.
const HEADER = /^v1\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{16})\.$/;
const CONVERSATION_HEADER = /^v2\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{16})\.$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A key id (UUID) as the 22 characters of an envelope header, and back. */
export function encodeKeyId(uuid: string): string {
  const lower = typeof uuid === 'string' ? uuid.toLowerCase() : '';
  if (!UUID.test(lower)) {
    throw new TypeError('a conversation key id must be a UUID');
  }
  return Buffer.from(lower.replace(/-/g, ''), 'hex').toString('base64url');
}

function decodeKeyId(text: string): string | null {
  const bytes = decodeCanonical(text);
  if (!bytes || bytes.length !== 16) {
    return null;
  }
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function decodeCanonical(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  // Node's decoder skips what it does not understand; only the canonical encoding round-trips.
  return bytes.toString('base64url') === text ? bytes : null;
}

export function formatEnvelope(keyVersion: number, iv: Buffer, ciphertextAndTag: Buffer): string {
  return `${ENVELOPE_FORMAT}.${keyVersion}.${iv.toString('base64url')}.${ciphertextAndTag.toString('base64url')}`;
}

export function formatConversationEnvelope(keyId: string, iv: Buffer, ciphertextAndTag: Buffer): string {
  return `${CONVERSATION_ENVELOPE_FORMAT}.${encodeKeyId(keyId)}.${iv.toString('base64url')}.${ciphertextAndTag.toString('base64url')}`;
}

/** Parses an envelope (v1 or v2); throws DecryptionError('malformed') for anything else. */
export function parseEnvelope(envelope: string): Envelope {
  const bodyStart = typeof envelope === 'string' ? envelope.indexOf('.', envelope.indexOf('.', 3) + 1) + 1 : 0;
  const header = bodyStart > 0 ? envelope.slice(0, bodyStart) : '';
  const v2 = header.startsWith('v2.');
  const match = bodyStart > 0 ? (v2 ? CONVERSATION_HEADER : HEADER).exec(header) : null;
  const keyId = match && v2 ? decodeKeyId(match[1]) : null;
  const iv = match ? decodeCanonical(match[2]) : null;
  const sealed = match ? decodeCanonical(envelope.slice(bodyStart)) : null;
  if (!match || (v2 && !keyId) || !iv || !sealed || iv.length !== IV_BYTES || sealed.length < TAG_BYTES) {
    throw new DecryptionError(
      'malformed',
      `not a ${ENVELOPE_FORMAT} or ${CONVERSATION_ENVELOPE_FORMAT} ciphertext envelope`,
    );
  }
  return {
    keyVersion: v2 ? 0 : Number(match[1]),
    ...(v2 ? { conversationKeyId: keyId! } : {}),
    iv,
    ciphertext: sealed.subarray(0, sealed.length - TAG_BYTES),
    tag: sealed.subarray(sealed.length - TAG_BYTES),
  };
}

/**
 * The data key version a v1 envelope was written with, for the re-encryption job. Throws
 * DecryptionError('malformed'), also for a v2 envelope (its key is a conversation key, which is
 * rewrapped, not re-encrypted: see `isConversationEnvelope`).
 */
export function keyVersionOf(envelope: string): number {
  const parsed = parseEnvelope(envelope);
  if (parsed.conversationKeyId !== undefined) {
    throw new DecryptionError('malformed', 'a v2 envelope is sealed under a conversation key, not a data key version');
  }
  return parsed.keyVersion;
}

/** Whether a value is a v2 envelope (sealed under a conversation key). Cheap: looks at the prefix only. */
export function isConversationEnvelope(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('v2.');
}

/** Whether a stored value is an envelope of this library (as opposed to legacy plaintext or garbage). */
export function isEnvelope(value: unknown): value is string {
  try {
    parseEnvelope(value as string);
    return true;
  } catch {
    return false;
  }
}

/**
 * SQL expression for the key version of a v1 envelope column, e.g. to find rows still under an old
 * key: `WHERE body IS NOT NULL AND ${envelopeKeyVersionSql('body')} <> $1`. NULL for a v2
 * envelope: its conversation key is rewrapped under a new data key version, the value stays.
 */
export function envelopeKeyVersionSql(column: string): string {
  if (!/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/.test(column)) {
    throw new Error('column must be a plain lowercase identifier');
  }
  return `(CASE WHEN left(${column}, 3) = 'v1.' THEN split_part(${column}, '.', 2)::integer END)`;
}
