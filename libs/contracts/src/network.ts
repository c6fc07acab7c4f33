import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The wire between Custody and the messaging network (simulated by the sandbox). Both directions
 * are signed: `X-Network-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * with the shared network secret. The timestamp is inside the MAC and must be within
 * NETWORK_SIGNATURE_WINDOW_SECONDS of the receiver's clock, so a captured signed batch cannot be
 * replayed later (inside the window, processing is idempotent by message and status id).
 */
export const NETWORK_SIGNATURE_HEADER = 'x-network-signature';

/** How far a signature's timestamp may be from the receiver's clock, either way (seconds). */
export const NETWORK_SIGNATURE_WINDOW_SECONDS = 300;

function mac(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The signature header value for a body sent now (`nowMs` for tests). */
export function signBody(secret: string, rawBody: Buffer | string, nowMs = Date.now()): string {
  const timestamp = Math.floor(nowMs / 1000);
  return `t=${timestamp},sha256=${mac(secret, timestamp, rawBody)}`;
}

/** Constant-time check of a signature header over the raw body, and of its timestamp's freshness. */
export function verifySignature(
  secret: string,
  rawBody: Buffer | string,
  header: string | undefined,
  nowMs = Date.now(),
): boolean {
  const match = header ? /^t=(\d{1,12}),sha256=([0-9a-f]{64})$/i.exec(header) : null;
  if (!match) {
    return false;
  }
  const timestamp = Number(match[1]);
  if (Math.abs(nowMs / 1000 - timestamp) > NETWORK_SIGNATURE_WINDOW_SECONDS) {
    return false;
  }
  const expected = Buffer.from(mac(secret, timestamp, rawBody));
  const given = Buffer.from(match[2].toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** An outbound message handed to the network for delivery to a customer. */
export interface NetworkOutboundMessage {
  messageId: string;
  phoneNumberId: string;
  to: string;
  type: string;
  content: Record<string, unknown>;
  contextMessageId?: string;
  origin: 'business' | 'system';
}

/** What the network tells Custody: a customer's message, or a status of an outbound message. */
export type NetworkEvent =
  | {
      kind: 'message';
      phoneNumberId: string;
      from: { waId: string; profileName?: string };
      message: {
        id: string;
        /** Unix seconds, as a string (as the Cloud API does). */
        timestamp: string;
        type: string;
        text?: { body: string };
        button?: { text: string; payload?: string };
        interactive?: Record<string, unknown>;
        context?: { id: string };
        referral?: { source_id?: string; source_type?: string; ctwa_clid?: string };
      };
    }
  | {
      kind: 'status';
      phoneNumberId: string;
      status: {
        id: string;
        status: 'sent' | 'delivered' | 'read' | 'failed';
        timestamp: string;
        recipientId: string;
        errors?: Array<{ code: number; title: string }>;
        /** The Cloud API's pricing object (with `sent`). */
        pricing?: { billable: boolean; pricing_model: string; type: string; category: string };
        /** The Cloud API's conversation object (with `sent`). */
        conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
      };
    };
