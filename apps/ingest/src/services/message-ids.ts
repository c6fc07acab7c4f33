import { createHash, randomBytes } from 'node:crypto';

/** A new `wamid.`-style id. */
export function newMessageId(): string {
  return `wamid.${randomBytes(24).toString('base64url')}`;
}

/** The id a send with an Idempotency-Key gets: the same for every retry of it. */
export function idempotentMessageId(tenantId: string, key: string): string {
  return `wamid.${createHash('sha256').update(`${tenantId}|${key}`).digest('base64url').slice(0, 40)}`;
}

/** Digits of a phone number as the network's wa_id. */
export function toWaId(phone: string): string {
  return phone.replace(/\D/g, '');
}

export function requestHash(phoneNumberId: string, body: unknown): string {
  return createHash('sha256')
    .update(`${phoneNumberId}|${JSON.stringify(body)}`)
    .digest('base64url');
}
