import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: any;
  at: number;
}

/**
 * A tenant's webhook endpoint for tests, on 127.0.0.1: answers the verification handshake when
 * the verify token matches, records every POST, and can be told to fail or hang.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  verifyToken = 'test-verify-token';
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  failuresLeft = 0;
  /**
   * Only POSTs for this business account count against `failuresLeft`. Loopback ports are reused,
   * so a receiver can also get retries meant for an earlier test's endpoint on the same port.
   */
  failuresOnlyFor?: string;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Every message or status item received so far, flattened from the envelopes. */
  items(kind: 'messages' | 'statuses'): any[] {
    return this.received.flatMap((r) =>
      r.body.entry.flatMap((e: any) => e.changes.flatMap((c: any) => c.value[kind] ?? [])),
    );
  }

  static verify(appSecret: string, webhook: ReceivedWebhook): boolean {
    const expected = `sha256=${createHmac('sha256', appSecret).update(webhook.rawBody).digest('hex')}`;
    return webhook.headers['x-hub-signature-256'] === expected;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok =
        url.searchParams.get('hub.mode') === 'subscribe' &&
        url.searchParams.get('hub.verify_token') === this.verifyToken;
      res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    if (this.mode === 'hang') {
      return; // never answers: the sender must time out
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const countsAgainstFailures = !this.failuresOnlyFor || rawBody.includes(`"id":"${this.failuresOnlyFor}"`);
    if (this.mode === 'fail' || (this.failuresLeft > 0 && countsAgainstFailures)) {
      this.failuresLeft = Math.max(0, this.failuresLeft - 1);
      res.writeHead(500).end('down');
      return;
    }
    this.received.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody), at: Date.now() });
    res.writeHead(200).end('ok');
  }
}
