import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SigningKeys } from './signing-keys';
import { TokenVerifier } from './token-verifier';

describe('TokenVerifier with a remote key set (reuse of verified tokens)', () => {
  let server: Server;
  let jwksUrl: string;
  let keys: SigningKeys;
  let fetches = 0;

  beforeAll(async () => {
    keys = await SigningKeys.fromJwks(await SigningKeys.generateJwks('ES256', 'k1'));
    server = createServer((_, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(keys.publicJwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const claims = (ttlSeconds: number) => ({
    issuer: 'i',
    audience: 'a',
    subject: 's',
    tenantId: '6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10',
    roles: ['tenant_admin' as const],
    ttlSeconds,
  });

  it('answers a repeated token with the same frozen principal', async () => {
    const verifier = new TokenVerifier({ issuer: 'i', audience: 'a', jwksUrl });
    const { token } = await keys.sign(claims(60));
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first.roles as string[]).push('operator')).toThrow();
    expect(fetches).toBe(1);
  });

  it('never reuses a token past its expiry (no clock tolerance for reuse)', async () => {
    const verifier = new TokenVerifier({ issuer: 'i', audience: 'a', jwksUrl, clockToleranceSeconds: 0 });
    // exp is in whole seconds: a lifetime of 1 s could end before the first check on a busy
    // machine, so the token lives a few seconds and the test waits until just past its exp.
    const { token } = await keys.sign(claims(4));
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 's' });
    const exp = Number(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 1100));
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
  }, 15_000);

  it('still verifies every other token string: a tampered copy of a reused token fails', async () => {
    const verifier = new TokenVerifier({ issuer: 'i', audience: 'a', jwksUrl });
    const { token } = await keys.sign(claims(60));
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['operator'] }),
    ).toString('base64url');
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({ reason: 'invalid' });
  });
});
