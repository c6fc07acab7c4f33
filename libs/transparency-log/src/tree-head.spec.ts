import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { canonicalBytes } from './canonical-json';
import { EMPTY_ROOT, encodeHash } from './hashes';
import { signTreeHead, TREE_HEAD_JWS_TYP, TREE_HEAD_TYPE, verifyTreeHead } from './tree-head';

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

describe('signed tree heads', () => {
  const head = {
    origin: 'consent.test/t1',
    treeSize: 3,
    rootHash: encodeHash(EMPTY_ROOT),
    timestamp: 1_700_000_000_000,
  };

  it('round-trips through sign and verify, by kid within a key set', async () => {
    const a = await keyPair('a');
    const b = await keyPair('b');
    const sth = await signTreeHead(head, b.privateKey, 'b');
    expect(sth).toMatchObject({ ...head, keyId: 'b' });
    const verified = await verifyTreeHead(sth, { keys: [a.publicJwk, b.publicJwk] });
    expect(verified).toMatchObject({ origin: head.origin, treeSize: 3, timestamp: head.timestamp, keyId: 'b' });
    expect(verified.rootHash).toEqual(EMPTY_ROOT);
  });

  it('refuses a wrong key, edited fields, other algorithms and non-canonical payloads', async () => {
    const a = await keyPair('a');
    const sth = await signTreeHead(head, a.privateKey, 'a');
    const other = await keyPair('a');
    await expect(verifyTreeHead(sth, other.publicJwk)).rejects.toThrow(/does not verify/);
    await expect(verifyTreeHead({ ...sth, treeSize: 4 }, a.publicJwk)).rejects.toThrow(/treeSize differs/);
    await expect(verifyTreeHead({ ...sth, signature: undefined }, a.publicJwk)).rejects.toThrow(/no signature/);
    await expect(verifyTreeHead(sth, { keys: [] })).rejects.toThrow(/no public key/);
    const spaced = Buffer.from(JSON.stringify({ type: TREE_HEAD_TYPE, ...head }, null, 1));
    const loose = await new CompactSign(spaced)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'a', typ: TREE_HEAD_JWS_TYP })
      .sign(a.privateKey);
    await expect(verifyTreeHead({ signature: loose }, a.publicJwk)).rejects.toThrow(/canonical/);
    const untyped = await new CompactSign(canonicalBytes({ type: TREE_HEAD_TYPE, ...head }))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'a' })
      .sign(a.privateKey);
    await expect(verifyTreeHead({ signature: untyped }, a.publicJwk)).rejects.toThrow(/typ/);
  });
});
