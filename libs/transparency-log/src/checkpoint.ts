import { hkdfSync } from 'node:crypto';
import { decodeHash, encodeHash } from './hashes';
import {
  NoteError,
  NoteSigner,
  NoteVerifierKey,
  openNote,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  VerifiedSignature,
} from './note';

/**
 * C2SP tlog-checkpoint (github.com/C2SP/C2SP tlog-checkpoint.md): the text of a signed note with
 * the log's origin, the tree size in decimal and the root hash in base64, one per line.
 */
export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (checkpoint.origin.length === 0 || /[\n]/.test(checkpoint.origin)) {
    throw new NoteError('a checkpoint origin is one non-empty line');
  }
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${encodeHash(checkpoint.rootHash)}\n`;
}

export function parseCheckpoint(text: string): Checkpoint & { extensions: string[] } {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') {
    throw new NoteError('a checkpoint has an origin, a size and a root hash, each on its own line');
  }
  const [origin, size, root, ...rest] = lines.slice(0, -1);
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new NoteError('a checkpoint starts with a non-empty origin line and a decimal tree size');
  }
  let rootHash: Buffer;
  try {
    rootHash = decodeHash(root, 'root hash');
  } catch {
    throw new NoteError('the checkpoint’s third line is not a base64 SHA-256 root hash');
  }
  if (encodeHash(rootHash) !== root || rest.some((l) => l === '')) {
    throw new NoteError('the checkpoint’s root hash or extension lines are not in their one permitted form');
  }
  return { origin, treeSize: Number(size), rootHash, extensions: rest };
}

/** What verifying a checkpoint establishes. */
export interface VerifiedCheckpoint extends Checkpoint {
  /** The note text (the checkpoint body) that was signed. */
  text: string;
  /** The log keys whose signatures verified. */
  logKeys: NoteVerifierKey[];
  /** Witness cosignatures that verified, with their timestamps (seconds). */
  cosignatures: Array<{ key: NoteVerifierKey; timestamp: number }>;
}

export interface CheckpointPolicy {
  /** The log's name; the checkpoint's first line must equal it. */
  origin: string;
  /** The log's verifier keys (type 0x01); at least one must have signed. */
  logKeys: NoteVerifierKey[];
  /** Witness keys (type 0x04) and how many of them must have cosigned (default 0). */
  witnesses?: NoteVerifierKey[];
  quorum?: number;
}

/**
 * Verifies a signed checkpoint under a policy: the origin is the pinned one, a log key named after
 * the origin signed it, and at least `quorum` of the given witnesses cosigned it.
 */
export function verifyCheckpoint(note: string, policy: CheckpointPolicy): VerifiedCheckpoint {
  const logKeys = policy.logKeys.filter((k) => k.type === SIG_ED25519);
  if (logKeys.length === 0 || logKeys.some((k) => k.name !== policy.origin)) {
    throw new NoteError(`the log keys must be Ed25519 keys named after the origin ${policy.origin}`);
  }
  const witnesses = (policy.witnesses ?? []).filter((k) => k.type === SIG_COSIGNATURE_V1);
  const opened = openNote(note, [...logKeys, ...witnesses]);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== policy.origin) {
    throw new NoteError(
      `the checkpoint is for the log ${checkpoint.origin}, not for the pinned origin ${policy.origin}`,
    );
  }
  const byLog = opened.verified.filter((v) => v.key.type === SIG_ED25519);
  if (byLog.length === 0) {
    throw new NoteError(`no key of the log ${policy.origin} signed this checkpoint`);
  }
  const cosignatures = opened.verified
    .filter(
      (v): v is VerifiedSignature & { timestamp: number } =>
        v.key.type === SIG_COSIGNATURE_V1 && v.timestamp !== undefined,
    )
    .map((v) => ({ key: v.key, timestamp: v.timestamp }));
  const quorum = policy.quorum ?? 0;
  if (cosignatures.length < quorum) {
    throw new NoteError(
      `the checkpoint carries ${cosignatures.length} valid cosignature${cosignatures.length === 1 ? '' : 's'} of the pinned witnesses; ${quorum} required`,
    );
  }
  return { ...checkpoint, text: opened.text, logKeys: byLog.map((v) => v.key), cosignatures };
}

/**
 * The Ed25519 checkpoint key of one log, derived from the operator's log key seed:
 * seed = HKDF-SHA256(ikm = master seed, salt = "custody.consent.checkpoint-key.v1", info = origin).
 * Each tenant's log thus has a key of its own, named after its origin, and no per-tenant secret
 * has to be stored; rotating the master key rotates every log's key.
 */
export function deriveLogSigner(masterSeed: Uint8Array, origin: string): NoteSigner {
  const seed = Buffer.from(hkdfSync('sha256', masterSeed, 'custody.consent.checkpoint-key.v1', origin, 32));
  return NoteSigner.fromSeed(origin, seed, SIG_ED25519);
}

/** Signs a checkpoint with one or more log keys (several during a rotation overlap). */
export function signCheckpoint(checkpoint: Checkpoint, signers: NoteSigner[]): string {
  const text = formatCheckpoint(checkpoint);
  return `${text}\n${signers.map((s) => s.signatureLine(text)).join('')}`;
}
