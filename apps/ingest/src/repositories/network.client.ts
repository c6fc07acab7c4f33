import { Injectable } from '@nestjs/common';
import { NETWORK_SIGNATURE_HEADER, NetworkOutboundMessage, signBody } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';

/** HTTP to the messaging network (signed). */
@Injectable()
export class NetworkClient {
  constructor(private readonly env: IngestEnv) {}

  async deliver(messages: NetworkOutboundMessage[]): Promise<void> {
    const body = JSON.stringify({ messages });
    const res = await fetch(`${this.env.NETWORK_URL}/network/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, body),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      throw new Error(`network refused the batch: HTTP ${res.status}`);
    }
  }

  /** A read receipt: the business read a customer's message (the customer sees the blue ticks). */
  async readReceipt(receipt: { messageId: string; phoneNumberId: string; to: string; readAt: string }): Promise<void> {
    const body = JSON.stringify({ receipts: [receipt] });
    const res = await fetch(`${this.env.NETWORK_URL}/network/v1/receipts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) {
      throw new Error(`network refused the read receipt: HTTP ${res.status}`);
    }
  }
}
