import { DecryptionError } from './errors';

/** The envelope format this library writes: `v1.<keyVersion>.<base64url iv>.<base64url ciphertext+tag>`. */
export const ENVELOPE_FORMAT = 'v1';
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface Envelope {
  keyVersion: number;
  iv: Buffer;
  /** Ciphertext without the tag. */
  ciphertext: Buffer;
  tag: Buffer;
}

// Only the short header goes through a regular expression: the body can be megabytes, and the
// canonical base64url check below already refuses every character outside the alphabet.
const HEADER = /^v1\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{16})\.$/;

function decodeCanonical(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  // Node's decoder skips what it does not understand; only the canonical encoding round-trips.
  return bytes.toString('base64url') === text ? bytes : null;
}

export function formatEnvelope(keyVersion: number, iv: Buffer, ciphertextAndTag: Buffer): string {
  return `${ENVELOPE_FORMAT}.${keyVersion}.${iv.toString('base64url')}.${ciphertextAndTag.toString('base64url')}`;
}

/** Parses an envelope; throws DecryptionError('malformed') for anything else. */
export function parseEnvelope(envelope: string): Envelope {
  const bodyStart = typeof envelope === 'string' ? envelope.indexOf('.', envelope.indexOf('.', 3) + 1) + 1 : 0;
  const match = bodyStart > 0 ? HEADER.exec(envelope.slice(0, bodyStart)) : null;
  const iv = match ? decodeCanonical(match[2]) : null;
  const sealed = match ? decodeCanonical(envelope.slice(bodyStart)) : null;
  if (!match || !iv || !sealed || iv.length !== IV_BYTES || sealed.length < TAG_BYTES) {
    throw new DecryptionError('malformed', `not a ${ENVELOPE_FORMAT} ciphertext envelope`);
  }
  return {
    keyVersion: Number(match[1]),
    iv,
    ciphertext: sealed.subarray(0, sealed.length - TAG_BYTES),
    tag: sealed.subarray(sealed.length - TAG_BYTES),
  };
}

/** The data key version an envelope was written with, for the re-encryption job. Throws DecryptionError('malformed'). */
export function keyVersionOf(envelope: string): number {
  return parseEnvelope(envelope).keyVersion;
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
 * SQL expression for the key version of an envelope column, e.g. to find rows still under an old
 * key: `WHERE body IS NOT NULL AND ${envelopeKeyVersionSql('body')} <> $1`.
 */
export function envelopeKeyVersionSql(column: string): string {
  if (!/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/.test(column)) {
    throw new Error('column must be a plain lowercase identifier');
  }
  return `split_part(${column}, '.', 2)::integer`;
}
