import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { NETWORK_SIGNATURE_HEADER } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';
import { MediaUnavailableError, NetworkClient } from './network.client';

/** A loopback HTTP server answering with the handler; counts its requests and their headers. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const clientFor = (url: string) =>
  new NetworkClient({ NETWORK_URL: url, NETWORK_HMAC_SECRET: 'a-secret-for-tests-only-0123456789' } as IngestEnv);

describe('NetworkClient.fetchMedia', () => {
  const servers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await serve(handler);
    servers.push(s);
    return s;
  };

  it('fetches the media, signed, with its MIME type', async () => {
    const network = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png; charset=binary' });
      res.end(Buffer.from('a picture'));
    });
    const got = await clientFor(network.url).fetchMedia('123', 100);
    expect(got).toEqual({ mimeType: 'image/png', bytes: Buffer.from('a picture') });
    expect(network.seen[0].url).toBe('/network/v1/media/123');
    expect(network.seen[0].headers[NETWORK_SIGNATURE_HEADER]).toEqual(expect.any(String));
  });

  it('never follows a redirect (to an internal address or anywhere): a final failure, nothing fetched there', async () => {
    const elsewhere = await start((_req, res) => res.end('metadata of the cloud instance'));
    const network = await start((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/latest/meta-data/` });
      res.end();
    });
    await expect(clientFor(network.url).fetchMedia('123', 100)).rejects.toBeInstanceOf(MediaUnavailableError);
    expect(network.seen).toHaveLength(1);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('refuses a Content-Length over the limit, and a streamed body past it, as final failures', async () => {
    const declared = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '1000' });
      res.end(Buffer.alloc(1000));
    });
    await expect(clientFor(declared.url).fetchMedia('1', 999)).rejects.toThrow(MediaUnavailableError);
    // No Content-Length (chunked): counted as it streams; the sender is cut off, not read to the end.
    let written = 0;
    const endless = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => {
        written += 64 * 1024;
        res.write(Buffer.alloc(64 * 1024));
        if (written > 64 * 1024 * 1024) {
          clearInterval(timer);
          res.end();
        }
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    await expect(clientFor(endless.url).fetchMedia('1', 256 * 1024)).rejects.toThrow(MediaUnavailableError);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    // At the limit exactly: kept.
    const exact = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(500));
      res.end(Buffer.alloc(499));
    });
    expect((await clientFor(exact.url).fetchMedia('1', 999)).bytes.length).toBe(999);
  });

  it('a 4xx is final; a 5xx, 408 and 429 are worth another try', async () => {
    for (const [status, final] of [
      [404, true],
      [400, true],
      [410, true],
      [403, true],
      [500, false],
      [503, false],
      [408, false],
      [429, false],
    ] as const) {
      const network = await start((_req, res) => {
        res.writeHead(status);
        res.end('no');
      });
      const error = await clientFor(network.url)
        .fetchMedia('1', 100)
        .catch((e: unknown) => e);
      expect({ status, final: error instanceof MediaUnavailableError }).toEqual({ status, final });
      expect(error).toBeInstanceOf(Error);
    }
  });

  it('stops at the caller’s signal (the batch deadline): not a final failure', async () => {
    const network = await start(() => undefined); // never answers
    const error = await clientFor(network.url)
      .fetchMedia('1', 100, AbortSignal.timeout(200))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(error).not.toBeInstanceOf(MediaUnavailableError);
  });
});
