import { parseVerifierKey, verifyCheckpoint } from '@custody/transparency-log';
import { LogKeysRepository } from './log-keys.repository';

const ORIGIN = 'consent.test/6f1c1f9e-0000-4000-8000-000000000001';
const checkpoint = { origin: ORIGIN, treeSize: 3, rootHash: Buffer.alloc(32, 1) };
const iso = (ms: number) => new Date(ms).toISOString();

describe('LogKeysRepository: per-log checkpoint keys, rotation and validity', () => {
  it('derives a key per log from the operator key, named after the origin', async () => {
    const keys = await LogKeysRepository.load(await LogKeysRepository.generatePrivateJwk('k1'));
    const [a] = keys.checkpointKeys(ORIGIN, Date.now());
    const [b] = keys.checkpointKeys('consent.test/another', Date.now());
    expect(a).toMatchObject({ derivedFrom: 'k1', active: true, validFrom: null, validUntil: null });
    expect(a.verifierKey.startsWith(`${ORIGIN}+${a.keyId}+`)).toBe(true);
    expect(b.verifierKey.split('+')[2]).not.toBe(a.verifierKey.split('+')[2]);
    const note = keys.signCheckpoint(checkpoint, Date.now());
    expect(verifyCheckpoint(note, { origin: ORIGIN, logKeys: [parseVerifierKey(a.verifierKey)] }).treeSize).toBe(3);
    const other = keys.signCheckpoint({ ...checkpoint, origin: 'consent.test/another' }, Date.now());
    expect(() => verifyCheckpoint(other, { origin: ORIGIN, logKeys: [parseVerifierKey(a.verifierKey)] })).toThrow(
      /no known key signed/,
    );
  });

  it('signs with every key valid at the time: both during a rotation overlap, only the new one after', async () => {
    const now = Date.now();
    const old = { ...(await LogKeysRepository.generatePrivateJwk('old')), validUntil: iso(now + 60_000) };
    const next = { ...(await LogKeysRepository.generatePrivateJwk('new')), validFrom: iso(now - 1000) };
    const keys = await LogKeysRepository.load({ keys: [old, next] });
    const published = keys.checkpointKeys(ORIGIN, now);
    expect(published.map((k) => [k.derivedFrom, k.active, k.validUntil !== null])).toEqual([
      ['old', true, true],
      ['new', true, false],
    ]);
    const during = keys.signCheckpoint(checkpoint, now);
    expect(during.match(/^— /gm)).toHaveLength(2);
    const after = keys.signCheckpoint(checkpoint, now + 120_000);
    expect(after.match(/^— /gm)).toHaveLength(1);
    const newKey = parseVerifierKey(published[1].verifierKey);
    expect(verifyCheckpoint(after, { origin: ORIGIN, logKeys: [newKey] }).logKeys).toEqual([newKey]);
    expect(keys.checkpointKeys(ORIGIN, now + 120_000).map((k) => k.active)).toEqual([false, true]);
  });

  it('refuses a key set with no key valid now, and bad validity bounds', async () => {
    const jwk = await LogKeysRepository.generatePrivateJwk();
    await expect(LogKeysRepository.load({ ...jwk, validUntil: iso(Date.now() - 1000) })).rejects.toThrow(
      /no key in the set is valid now/,
    );
    await expect(LogKeysRepository.load({ ...jwk, validFrom: 'soon' })).rejects.toThrow(
      /validFrom must be an RFC 3339 time/,
    );
    await expect(
      LogKeysRepository.load({ ...jwk, validFrom: iso(Date.now()), validUntil: iso(Date.now() - 5) }),
    ).rejects.toThrow(/validUntil must be after validFrom/);
  });
});
