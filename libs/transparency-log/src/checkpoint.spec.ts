import { CompactRange } from './compact-range';
import { leafHash } from './hashes';
import { deriveLogSigner, formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint';
import { cosign, NoteSigner, openNote, parseVerifierKey, SIG_COSIGNATURE_V1 } from './note';

/*
 * Vectors from /work/shared/reference (produced with Go's sumdb/note and sumdb/tlog): a log key
 * from seed 00..1f named custody.example/consent-log, leaves "leaf-0".."leaf-6", a witness key
 * from seed 20..3f named witness.example/w1.
 */
const NAME = 'custody.example/consent-log';
const seed = (from: number) => Buffer.from(Array.from({ length: 32 }, (_, i) => from + i));
const tree = (n: number) => {
  const range = CompactRange.empty();
  for (let i = 0; i < n; i++) {
    range.append(leafHash(Buffer.from(`leaf-${i}`)));
  }
  return range.root();
};

describe('C2SP signed notes and checkpoints', () => {
  const log = NoteSigner.fromSeed(NAME, seed(0));
  const witness = NoteSigner.fromSeed('witness.example/w1', seed(0x20), SIG_COSIGNATURE_V1);
  const checkpoint = { origin: NAME, treeSize: 7, rootHash: tree(7) };

  it('produces the keys, checkpoint and signature Go produces', () => {
    expect(log.verifierKey).toBe('custody.example/consent-log+7f3837cf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4');
    expect(formatCheckpoint(checkpoint)).toBe(`${NAME}\n7\nCwB/uRXrmyoUb1SxyG7FO2ZPjkVbdmCwtu4T7cDZIcA=\n`);
    expect(signCheckpoint(checkpoint, [log])).toBe(
      `${NAME}\n7\nCwB/uRXrmyoUb1SxyG7FO2ZPjkVbdmCwtu4T7cDZIcA=\n\n— ${NAME} fzg3zyby1bZqFXVxvv7N77q20NoFoL6V+T3FpaTNl8gYqaMjfPT7OXCqbtGqi0l9rKOwbBuzSDzHIYqOzU9lykT5Igk=\n`,
    );
    expect(witness.verifierKey).toBe('witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X');
    expect(cosign(witness, formatCheckpoint(checkpoint), 1_700_000_000)).toBe(
      '— witness.example/w1 IDJKvgAAAABlU/EASsPCHtAt4xlVN+apGPPFGeKXw0JIYqFllwmTChllF8GCZM0wFBQHYIOKLyAnU1GHiHJGw4gfVtArzJCtBy+6Ag==\n',
    );
  });

  it('verifies under a policy: pinned origin, a log signature, a quorum of witnesses', () => {
    const note = signCheckpoint(checkpoint, [log]);
    const cosigned = note + cosign(witness, formatCheckpoint(checkpoint), 1_700_000_000);
    const logKey = parseVerifierKey(log.verifierKey);
    const witnessKey = parseVerifierKey(witness.verifierKey);
    const verified = verifyCheckpoint(cosigned, {
      origin: NAME,
      logKeys: [logKey],
      witnesses: [witnessKey],
      quorum: 1,
    });
    expect(verified).toMatchObject({ origin: NAME, treeSize: 7, cosignatures: [{ timestamp: 1_700_000_000 }] });
    expect(() =>
      verifyCheckpoint(note, { origin: NAME, logKeys: [logKey], witnesses: [witnessKey], quorum: 1 }),
    ).toThrow(/0 valid cosignatures of the pinned witnesses; 1 required/);
    const other = NoteSigner.fromSeed('other.example/log', seed(1));
    expect(() =>
      verifyCheckpoint(signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, [other]), {
        origin: NAME,
        logKeys: [logKey],
      }),
    ).toThrow(/no known key signed/);
    const tampered = note.replace('\n7\n', '\n8\n');
    expect(() => verifyCheckpoint(tampered, { origin: NAME, logKeys: [logKey] })).toThrow(/does not verify/);
    const badCosig = note + cosign(witness, formatCheckpoint({ ...checkpoint, treeSize: 6 }), 5);
    expect(() => openNote(badCosig, [logKey, witnessKey])).toThrow(/cosignature of witness.example\/w1/);
  });

  it('parses only well-formed checkpoints and verifier keys', () => {
    expect(parseCheckpoint(`${NAME}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n`).treeSize).toBe(0);
    for (const bad of [`${NAME}\n07\nAAAA\n`, `${NAME}\n7\n`, `\n7\nCwB/uRXrmyoUb1SxyG7FO2ZPjkVbdmCwtu4T7cDZIcA=\n`]) {
      expect(() => parseCheckpoint(bad)).toThrow();
    }
    expect(() =>
      parseVerifierKey('custody.example/consent-log+7f3837ce+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4'),
    ).toThrow(/key id/);
    const derived = deriveLogSigner(seed(0), 'consent.test/t1');
    expect(derived.name).toBe('consent.test/t1');
    expect(deriveLogSigner(seed(0), 'consent.test/t2').verifierKey).not.toBe(derived.verifierKey.replace('t1', 't2'));
  });
});
