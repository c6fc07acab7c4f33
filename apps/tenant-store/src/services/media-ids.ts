import { createHash } from 'node:crypto';

export const MEDIA_TYPES = ['image', 'document', 'audio', 'video'] as const;

/** How long a media id is valid after its message (the Cloud API's 30 days). */
export const MEDIA_ID_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** How long a download URL is valid (the Cloud API's 5 minutes). */
export const MEDIA_URL_TTL_MS = 5 * 60 * 1000;

export function isMediaType(type: string): boolean {
  return (MEDIA_TYPES as readonly string[]).includes(type);
}

/** A message's media id: 16 digits, like the Cloud API's numeric ids; the same on every replay. */
export function mediaIdFor(messageId: string): string {
  const digest = createHash('sha256').update(`custody.media|${messageId}`).digest();
  return (digest.readBigUInt64BE(0) % 10n ** 16n).toString().padStart(16, '1');
}
