import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PlatformHarness, startPlatform } from '../support/platform.harness';

/**
 * Webhook URLs are tenant-chosen: with the platform's default (no loopback opt-in) neither the
 * handshake nor a delivery reaches loopback, private, link-local, metadata or mapped addresses,
 * or a name that resolves to one, and the error says only that the URL is not allowed.
 */
describe('SSRF through the webhook URL (real stack, loopback not allowed)', () => {
  let p: PlatformHarness;
  let listener: Server;
  let hits = 0;

  beforeAll(async () => {
    p = await startPlatform({ ingestEnv: { EGRESS_ALLOW_LOOPBACK: 'false' } });
    // A listener on loopback that would pass the handshake (it echoes hub.challenge).
    listener = createServer((req, res) => {
      hits++;
      res.end(new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge') ?? '');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => listener?.close(resolve));
    await p?.close();
  });

  it('refuses every internal address with one message and never connects', async () => {
    const tenant = await p.newTenant();
    const token = await tenant.token();
    const port = (listener.address() as AddressInfo).port;
    const storePort = new URL(p.store.url).port;
    for (const url of [
      `http://127.0.0.1:${port}/hook`,
      `http://localhost:${port}/hook`,
      `http://[::1]:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://127.0.0.1:${storePort}/v1/tenants`,
      'http://127.0.0.1:1/closed',
      'http://10.0.0.1/hook',
      'http://192.168.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
    ]) {
      const res = await p.ingest('PUT', '/v1/webhook', { token, body: { url, verifyToken: 'a-verify-token' } });
      expect({ url, status: res.status, details: res.body.error?.error_data?.details }).toEqual({
        url,
        status: 400,
        details: 'the URL is not allowed (only public http(s) addresses are)',
      });
    }
    expect(hits).toBe(0);
    expect((await p.ingest('GET', '/v1/webhook', { token })).body.url).toBeNull();
  });
});
