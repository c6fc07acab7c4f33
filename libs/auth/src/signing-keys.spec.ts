import { SigningKeys } from './signing-keys';
import { TokenVerifier } from './token-verifier';

describe('SigningKeys and TokenVerifier', () => {
  it('publishes only public keys, signs with the first key, and verifies with any published key', async () => {
    const oldJwks = await SigningKeys.generateJwks('ES256', 'old');
    const newJwks = await SigningKeys.generateJwks('EdDSA', 'new');
    const before = await SigningKeys.fromJwks(oldJwks);
    const rotated = await SigningKeys.fromJwks({ keys: [...newJwks.keys, ...oldJwks.keys] });
    expect(rotated.activeKid).toBe('new');
    expect(rotated.publicJwks().keys.every((k) => k.d === undefined)).toBe(true);

    const verifier = new TokenVerifier({ issuer: 'i', audience: 'a', jwks: () => rotated.publicJwks() });
    const claims = {
      issuer: 'i',
      audience: 'a',
      subject: 's',
      tenantId: '6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10',
      roles: ['tenant_admin' as const],
      ttlSeconds: 60,
    };
    // A token signed before the rotation still verifies while the old key is published.
    const oldToken = (await before.sign(claims)).token;
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ roles: ['tenant_admin'] });
    const newToken = (await rotated.sign(claims)).token;
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ subject: 's' });
    // Once the old key is removed, its tokens fail.
    const after = new TokenVerifier({
      issuer: 'i',
      audience: 'a',
      jwks: () => ({ keys: rotated.publicJwks().keys.slice(0, 1) }),
    });
    await expect(after.verify(oldToken)).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('refuses key sets without private keys, kids or supported algorithms', async () => {
    const { keys } = await SigningKeys.generateJwks('ES256', 'k');
    await expect(SigningKeys.fromJwks({ keys: [] })).rejects.toThrow(/at least one/);
    await expect(SigningKeys.fromJwks({ keys: [{ ...keys[0], kid: undefined }] })).rejects.toThrow(/no kid/);
    await expect(SigningKeys.fromJwks({ keys: [{ ...keys[0], alg: 'HS256' }] })).rejects.toThrow(/alg/);
    await expect(SigningKeys.fromJwks({ keys: [{ ...keys[0], d: undefined }] })).rejects.toThrow(/not a private key/);
  });
});
