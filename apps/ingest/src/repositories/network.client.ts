import { Injectable } from '@nestjs/common';
import { NETWORK_SIGNATURE_HEADER, NetworkOutboundMessage, signBody } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';

/** HTTP to the messaging network (signed). */
@Injectable()
export class NetworkClient {
  constructor(private readonly env: IngestEnv) {}

  async deliver(messages: NetworkOutboundMessage[]): Promise<void> {
    await this.post('/network/v1/messages', { messages }, 15_000, 'the batch');
  }

  /** A read receipt: the business read a customer's message (the customer sees the blue ticks). */
  async readReceipt(receipt: { messageId: string; phoneNumberId: string; to: string; readAt: string }): Promise<void> {
    await this.post('/network/v1/receipts', { receipts: [receipt] }, 10_000, 'the read receipt');
  }

  /** A new template, handed to the network for review (the verdict comes back as a network event). */
  async submitTemplate(template: {
    templateId: string;
    businessAccountId: string;
    name: string;
    language: string;
    category: string;
    components: Array<Record<string, unknown>>;
  }): Promise<void> {
    await this.post('/network/v1/templates', { templates: [template] }, 10_000, 'the template');
  }

  /**
   * A customer's media, fetched from the network by its media id (the path is signed: a GET has no
   * body). At most MEDIA_MAX_BYTES are read.
   */
  async fetchMedia(networkMediaId: string, maxBytes: number): Promise<{ mimeType: string; bytes: Buffer }> {
    const path = `/network/v1/media/${encodeURIComponent(networkMediaId)}`;
    const res = await fetch(`${this.env.NETWORK_URL}${path}`, {
      headers: { [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, path) },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      throw new Error(`network refused the media: HTTP ${res.status}`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) {
      throw new Error('the media is larger than Custody keeps');
    }
    return { mimeType: (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase(), bytes };
  }

  /** A signed POST to the network; anything but 2xx is an error naming what was refused. */
  private async post(path: string, payload: unknown, timeoutMs: number, what: string): Promise<void> {
    const body = JSON.stringify(payload);
    const res = await fetch(`${this.env.NETWORK_URL}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      throw new Error(`network refused ${what}: HTTP ${res.status}`);
    }
  }
}
