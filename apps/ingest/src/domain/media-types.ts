/**
 * The media types the Cloud API takes, with their size limits (the Cloud API's, capped at
 * MEDIA_MAX_BYTES: Custody keeps uploaded media, sealed, in PostgreSQL).
 */
const MB = 1024 * 1024;

/** Custody's cap on one upload, whatever the type allows. */
export const MEDIA_MAX_BYTES = 16 * MB;

const LIMITS: Record<string, number> = {
  'audio/aac': 16 * MB,
  'audio/amr': 16 * MB,
  'audio/mpeg': 16 * MB,
  'audio/mp4': 16 * MB,
  'audio/ogg': 16 * MB,
  'text/plain': 100 * MB,
  'application/pdf': 100 * MB,
  'application/msword': 100 * MB,
  'application/vnd.ms-excel': 100 * MB,
  'application/vnd.ms-powerpoint': 100 * MB,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 100 * MB,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 100 * MB,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 100 * MB,
  'image/jpeg': 5 * MB,
  'image/png': 5 * MB,
  'image/webp': 500 * 1024,
  'video/mp4': 16 * MB,
  'video/3gpp': 16 * MB,
};

/** Whether uploaded media of this MIME type can be sent as a message of this type. */
export function sendableAs(messageType: string, mimeType: string): boolean {
  switch (messageType) {
    case 'image':
      return mimeType === 'image/jpeg' || mimeType === 'image/png';
    case 'sticker':
      return mimeType === 'image/webp';
    case 'audio':
      return mimeType.startsWith('audio/');
    case 'video':
      return mimeType.startsWith('video/');
    case 'document':
      return mimeType === 'text/plain' || mimeType.startsWith('application/');
    default:
      return false;
  }
}

export type MediaCheck = { ok: true; mimeType: string } | { ok: false; details: string };

/** Whether an upload of this declared type and size is accepted; the reason when it is not. */
export function checkMediaUpload(declaredType: string | undefined, fileType: string, size: number): MediaCheck {
  const mimeType = (declaredType ?? fileType).split(';')[0].trim().toLowerCase();
  const limit = LIMITS[mimeType];
  if (limit === undefined) {
    return { ok: false, details: `Media type ${JSON.stringify(mimeType.slice(0, 100))} is not supported` };
  }
  if (size === 0) {
    return { ok: false, details: 'The file is empty' };
  }
  const max = Math.min(limit, MEDIA_MAX_BYTES);
  if (size > max) {
    return { ok: false, details: `The file is ${size} bytes; ${mimeType} media may be at most ${max} bytes` };
  }
  return { ok: true, mimeType };
}
