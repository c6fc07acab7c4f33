import { decodeHash, encodeHash } from './hashes';
import { NoteError, NoteVerifierKey, openNote, SIG_ED25519 } from './note';

/**
 * A log's signed promise, given when an entry is appended, that the entry is at `index` with leaf
 * hash `leafHash` and will be in a checkpoint by `mergeBy` (what CT's SCT and Rekor's signed entry
 * timestamp promise). It is a signed note by the log's checkpoint key whose text is:
 *
 *   custody.consent.inclusion-promise/v1
 *   <origin>
 *   <index>
 *   <leaf hash, base64>
 *   <recordedAt, ms since the epoch>
 *   <mergeBy, ms since the epoch>
 *
 * The first line keeps it from ever reading as a checkpoint (whose first line is the origin and
 * second a size).
 */
export interface InclusionPromise {
  origin: string;
  index: number;
  leafHash: Buffer;
  recordedAt: number;
  mergeBy: number;
}

export const INCLUSION_PROMISE_TYPE = 'custody.consent.inclusion-promise/v1';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function formatInclusionPromise(p: InclusionPromise): string {
  return `${INCLUSION_PROMISE_TYPE}\n${p.origin}\n${p.index}\n${encodeHash(p.leafHash)}\n${p.recordedAt}\n${p.mergeBy}\n`;
}

export function parseInclusionPromise(text: string): InclusionPromise {
  const lines = text.split('\n');
  if (lines.length !== 7 || lines[0] !== INCLUSION_PROMISE_TYPE || lines[6] !== '') {
    throw new NoteError(`not a ${INCLUSION_PROMISE_TYPE} note`);
  }
  const [, origin, index, leaf, recordedAt, mergeBy] = lines;
  if (!origin || ![index, recordedAt, mergeBy].every((n) => DECIMAL.test(n))) {
    throw new NoteError('an inclusion promise holds an origin, an index and two times in decimal');
  }
  let leafHash: Buffer;
  try {
    leafHash = decodeHash(leaf, 'leaf hash');
  } catch {
    throw new NoteError('the promised leaf hash is not a base64 SHA-256 hash');
  }
  return { origin, index: Number(index), leafHash, recordedAt: Number(recordedAt), mergeBy: Number(mergeBy) };
}

/** Verifies a promise's signature by the pinned log's key and returns what it promises. */
export function verifyInclusionPromise(note: string, origin: string, logKeys: NoteVerifierKey[]): InclusionPromise {
  const keys = logKeys.filter((k) => k.type === SIG_ED25519 && k.name === origin);
  if (keys.length === 0) {
    throw new NoteError(`no log key named after the origin ${origin}`);
  }
  const promise = parseInclusionPromise(openNote(note, keys).text);
  if (promise.origin !== origin) {
    throw new NoteError(`the promise is for the log ${promise.origin}, not for the pinned origin ${origin}`);
  }
  return promise;
}
