import { Injectable } from '@nestjs/common';
import { NETWORK_SIGNATURE_HEADER, NetworkOutboundMessage, signBody } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';

/** The network's final answer about a customer's media: asking again will not get it. */
export class MediaUnavailableError extends Error {}

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
   * body). Redirects are never followed: the network is the operator's NETWORK_URL, and its answer
   * is not signed, so a Location could point anywhere (an internal address, a cloud metadata
   * service) and would carry the signature along. At most `maxBytes` are read: a larger
   * Content-Length is refused before the body, and the body is counted as it streams in.
   * Throws MediaUnavailableError when the answer is final (a 4xx other than 408/429, a redirect,
   * media over the limit); any other error is worth another try.
   */
  async fetchMedia(
    networkMediaId: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ mimeType: string; bytes: Buffer }> {
    const path = `/network/v1/media/${encodeURIComponent(networkMediaId)}`;
    const timeout = AbortSignal.timeout(15_000);
    let res: Response;
    try {
      res = await fetch(`${this.env.NETWORK_URL}${path}`, {
        headers: { [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, path) },
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if ((error as { cause?: { message?: unknown } }).cause?.message === 'unexpected redirect') {
        throw new MediaUnavailableError('the network answered the media with a redirect (not followed)');
      }
      throw error;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        throw new Error(`network could not serve the media: HTTP ${res.status}`);
      }
      throw new MediaUnavailableError(`network refused the media: HTTP ${res.status}`);
    }
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new MediaUnavailableError('the media is larger than Custody keeps');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new MediaUnavailableError('the media is larger than Custody keeps');
        }
        chunks.push(value);
      }
    }
    return {
      mimeType: (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase(),
      bytes: Buffer.concat(chunks, size),
    };
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
