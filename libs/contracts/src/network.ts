import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The wire between Custody and the messaging network (simulated by the sandbox). Both directions
 * are signed: `X-Network-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the shared
 * network secret.
 */
export const NETWORK_SIGNATURE_HEADER = 'x-network-signature';

export function signBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` signature over the raw body. */
export function verifySignature(secret: string, rawBody: Buffer | string, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) {
    return false;
  }
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(header.toLowerCase());
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
      };
    };
