import { formatCheckpoint, verifyCheckpoint } from './checkpoint';
import { leafHash } from './hashes';
import { formatInclusionPromise, verifyInclusionPromise } from './inclusion-promise';
import { NoteSigner, parseVerifierKey } from './note';

describe('inclusion promises', () => {
  const origin = 'consent.test/log';
  const log = NoteSigner.fromSeed(origin, Buffer.alloc(32, 7));
  const key = parseVerifierKey(log.verifierKey);
  const promise = {
    origin,
    index: 41,
    leafHash: leafHash(Buffer.from('entry')),
    recordedAt: 1_764_064_800_412,
    mergeBy: 1_764_064_920_412,
  };
  const sign = (text: string) => `${text}\n${log.signatureLine(text)}`;

  it('round-trips through the log key, and refuses another origin or an edit', () => {
    const note = sign(formatInclusionPromise(promise));
    expect(verifyInclusionPromise(note, origin, [key])).toEqual(promise);
    expect(() => verifyInclusionPromise(note, 'consent.test/other', [key])).toThrow(
      /no log key named after the origin/,
    );
    expect(() => verifyInclusionPromise(note.replace('\n41\n', '\n42\n'), origin, [key])).toThrow(/does not verify/);
  });

  it('cannot be mistaken for a checkpoint, nor a checkpoint for a promise', () => {
    const note = sign(formatInclusionPromise(promise));
    expect(() => verifyCheckpoint(note, { origin, logKeys: [key] })).toThrow();
    const checkpoint = sign(formatCheckpoint({ origin, treeSize: 42, rootHash: promise.leafHash }));
    expect(() => verifyInclusionPromise(checkpoint, origin, [key])).toThrow(
      /not a custody.consent.inclusion-promise\/v1 note/,
    );
  });
});
