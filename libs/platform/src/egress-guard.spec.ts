import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { EgressError, EgressGuard, isAllowedAddress } from './egress-guard';

describe('isAllowedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    '0:0:0:0:0:0:0:1',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '::127.0.0.1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isAllowedAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(isAllowedAddress(address)).toBe(true);
  });

  it('allows loopback only when told, and nothing else private', () => {
    expect(isAllowedAddress('127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('::1', true)).toBe(true);
    expect(isAllowedAddress('::ffff:127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('10.0.0.1', true)).toBe(false);
    expect(isAllowedAddress('169.254.169.254', true)).toBe(false);
  });
});

describe('EgressGuard', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (req.url === '/big') {
        res.end('x'.repeat(10_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000);
      } else {
        res.end('secret internal answer');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const guard = (allowLoopback: boolean) => new EgressGuard({ allowLoopback, timeoutMs: 500, maxResponseBytes: 1_000 });

  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(EgressError);
      return { failure: (error as EgressError).failure, message: (error as Error).message };
    }
    throw new Error('no error');
  };

  it('refuses loopback, private, metadata and mapped addresses, and names resolving to loopback, before connecting', async () => {
    const g = guard(false);
    const before = hits.length;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://localhost:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'ftp://example.com/',
      'http://user:pass@example.com/',
      'not a url',
    ]) {
      expect({ url, ...(await failure(g.request(url))) }).toEqual({
        url,
        failure: 'not_allowed',
        message: 'the URL is not allowed (only public http(s) addresses are)',
      });
    }
    await expect(g.checkResolved(`http://localhost:${port}/`)).rejects.toThrow(EgressError);
    expect(hits.length).toBe(before);
    g.close();
  });

  it('with loopback allowed: answers, follows no redirect, bounds size and time', async () => {
    const g = guard(true);
    const ok = await g.request(`http://127.0.0.1:${port}/hello`, { method: 'POST', body: '{}' });
    expect(ok.status).toBe(200);
    const redirect = await g.request(`http://127.0.0.1:${port}/redirect`);
    expect(redirect.status).toBe(302);
    expect(hits).not.toContain('/latest/meta-data/');
    expect(await failure(g.request(`http://127.0.0.1:${port}/big`))).toMatchObject({ failure: 'too_large' });
    expect(await failure(g.request(`http://127.0.0.1:${port}/slow`))).toMatchObject({ failure: 'timeout' });
    expect(await failure(g.request('http://127.0.0.1:1/'))).toEqual({
      failure: 'unreachable',
      message: 'the URL could not be reached',
    });
    g.close();
  });
});
