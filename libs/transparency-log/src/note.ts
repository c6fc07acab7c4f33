import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

/**
 * C2SP signed notes (github.com/C2SP/C2SP signed-note.md): a text ending in a newline, an empty
 * line, and one `— <key name> <base64(key id ‖ signature)>` line per signature. Written from the
 * specification; golang.org/x/mod/sumdb/note reads what this writes (see the Go test in
 * tools/note-verify).
 */
export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}

/** Signature types (the byte hashed into a key id and prefixed to a verifier key). */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const EM_DASH = '\u2014';
const MAX_SIGNATURES = 100;

/** The first four bytes of SHA-256(name ‖ LF ‖ type ‖ public key), as a number. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, type]))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name)) {
    throw new NoteError(`key name ${JSON.stringify(name)} must be non-empty, with no whitespace and no "+"`);
  }
}

/** An Ed25519 key pair from its 32-byte seed. */
export function ed25519FromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: Buffer } {
  if (seed.length !== 32) {
    throw new NoteError('an Ed25519 seed is 32 bytes');
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  return { privateKey, publicKey: Buffer.from(publicKey) };
}

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** A key that can sign notes: a log's Ed25519 key (type 0x01) or a witness's cosigning key (0x04). */
export class NoteSigner {
  readonly keyId: number;

  constructor(
    readonly name: string,
    readonly type: number,
    private readonly privateKey: KeyObject,
    readonly publicKey: Buffer,
  ) {
    checkKeyName(name);
    this.keyId = noteKeyId(name, type, publicKey);
  }

  static fromSeed(name: string, seed: Uint8Array, type = SIG_ED25519): NoteSigner {
    const { privateKey, publicKey } = ed25519FromSeed(seed);
    return new NoteSigner(name, type, privateKey, publicKey);
  }

  /** `PRIVATE+KEY+<name>+<hex id>+<base64(type ‖ seed)>`, the form Go's note.NewSigner reads. */
  static fromPrivateKeyString(text: string): NoteSigner {
    const parts = splitPlus(text.trim(), 5);
    if (parts.length !== 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY' || !/^[0-9a-f]{8}$/.test(parts[3])) {
      throw new NoteError('a note signing key reads PRIVATE+KEY+<name>+<8 hex digits>+<base64>');
    }
    const raw = Buffer.from(parts[4], 'base64');
    if (raw.length !== 33 || (raw[0] !== SIG_ED25519 && raw[0] !== SIG_COSIGNATURE_V1)) {
      throw new NoteError('the signing key must be an Ed25519 seed (type 0x01 or 0x04, 32 bytes)');
    }
    const signer = NoteSigner.fromSeed(parts[2], raw.subarray(1), raw[0]);
    if (signer.keyId !== parseInt(parts[3], 16)) {
      throw new NoteError('the signing key’s id does not match its name and key');
    }
    return signer;
  }

  privateKeyString(seed: Uint8Array): string {
    return `PRIVATE+KEY+${this.name}+${hex8(this.keyId)}+${Buffer.concat([Buffer.from([this.type]), seed]).toString('base64')}`;
  }

  /** The verifier key: `<name>+<hex id>+<base64(type ‖ public key)>`. */
  get verifierKey(): string {
    return formatVerifierKey(this.name, this.type, this.publicKey);
  }

  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.privateKey);
  }

  /** A note signature line for `text` (the whole signed text, ending in a newline). */
  signatureLine(text: string): string {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(this.keyId);
    return `${EM_DASH} ${this.name} ${Buffer.concat([id, this.sign(Buffer.from(text, 'utf8'))]).toString('base64')}\n`;
  }
}

/** Splits on the first `count - 1` plus signs (base64, the last part, may contain more). */
function splitPlus(text: string, count: number): string[] {
  const parts = text.split('+');
  return parts.length < count ? parts : [...parts.slice(0, count - 1), parts.slice(count - 1).join('+')];
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  return `${name}+${hex8(noteKeyId(name, type, publicKey))}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

/** A parsed verifier key. */
export interface NoteVerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Buffer;
  text: string;
}

export function parseVerifierKey(text: string): NoteVerifierKey {
  const parts = splitPlus(text.trim(), 3);
  if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1])) {
    throw new NoteError(`verifier key ${JSON.stringify(text.trim())} does not read <name>+<8 hex digits>+<base64>`);
  }
  const [name, id, b64] = parts;
  checkKeyName(name);
  const raw = Buffer.from(b64, 'base64');
  if (
    raw.length !== 33 ||
    (raw[0] !== SIG_ED25519 && raw[0] !== SIG_COSIGNATURE_V1) ||
    raw.toString('base64') !== b64
  ) {
    throw new NoteError(
      `verifier key for ${name} is not an Ed25519 key (type 0x01) or Ed25519 cosignature key (type 0x04)`,
    );
  }
  const publicKey = raw.subarray(1);
  if (noteKeyId(name, raw[0], publicKey) !== parseInt(id, 16)) {
    throw new NoteError(`verifier key for ${name}: the key id does not match the name and key`);
  }
  return { name, keyId: parseInt(id, 16), type: raw[0], publicKey: Buffer.from(publicKey), text: text.trim() };
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature blob after the key id (64 bytes for Ed25519; 8-byte timestamp + 64 for a cosignature). */
  blob: Buffer;
  /** The signature line as it appeared, newline included. */
  line: string;
}

export interface ParsedNote {
  /** The signed text, ending in a newline. */
  text: string;
  signatures: NoteSignature[];
}

/** Splits a note into its text and signature lines, checking the encoding rules of signed-note. */
export function parseNote(message: string): ParsedNote {
  if ([...message].some((c) => c < ' ' && c !== '\n')) {
    throw new NoteError('a note may contain no control characters but newlines');
  }
  if (!message.endsWith('\n')) {
    throw new NoteError('a note ends with a newline');
  }
  const split = message.lastIndexOf('\n\n');
  if (split < 0) {
    throw new NoteError('a note has an empty line between its text and its signatures');
  }
  const text = message.slice(0, split + 1);
  const lines = message.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError(`a note may carry at most ${MAX_SIGNATURES} signatures`);
  }
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!match) {
      throw new NoteError(`malformed signature line ${JSON.stringify(line)}`);
    }
    const raw = Buffer.from(match[2], 'base64');
    if (raw.length < 5 || raw.toString('base64') !== match[2]) {
      throw new NoteError(`malformed signature for ${match[1]}`);
    }
    signatures.push({ name: match[1], keyId: raw.readUInt32BE(0), blob: raw.subarray(4), line: `${line}\n` });
  }
  return { text, signatures };
}

export interface VerifiedSignature {
  key: NoteVerifierKey;
  /** For a cosignature: the time it states (seconds since the epoch). */
  timestamp?: number;
}

/**
 * Verifies a note against known keys: signatures by unknown (name, id) pairs are ignored, a known
 * key whose signature fails is an error, and at least one known key must have signed.
 * Cosignatures (type 0x04) are checked as tlog-cosignature `cosignature/v1` over the note's text.
 */
export function openNote(
  message: string,
  keys: NoteVerifierKey[],
): { text: string; verified: VerifiedSignature[]; unverified: NoteSignature[] } {
  const note = parseNote(message);
  const verified: VerifiedSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of note.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) {
      unverified.push(sig);
      continue;
    }
    if (seen.has(`${key.name}+${key.keyId}`)) {
      continue;
    }
    seen.add(`${key.name}+${key.keyId}`);
    if (key.type === SIG_COSIGNATURE_V1) {
      const timestamp = verifyCosignature(note.text, key, sig.blob);
      verified.push({ key, timestamp });
    } else {
      if (
        sig.blob.length !== 64 ||
        !verify(null, Buffer.from(note.text, 'utf8'), ed25519PublicKey(key.publicKey), sig.blob)
      ) {
        throw new NoteError(`the signature of ${key.name} (${hex8(key.keyId)}) does not verify`);
      }
      verified.push({ key });
    }
  }
  if (verified.length === 0) {
    throw new NoteError(
      `no known key signed this note (signed by: ${note.signatures.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ') || 'nobody'})`,
    );
  }
  return { text: note.text, verified, unverified };
}

/** `cosignature/v1\ntime <t>\n` followed by the checkpoint text: what a witness signs. */
export function cosignatureMessage(checkpointText: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

/** A witness's cosignature line over a checkpoint (tlog-cosignature, Ed25519 cosignature/v1). */
export function cosign(signer: NoteSigner, checkpointText: string, timestamp: number): string {
  if (signer.type !== SIG_COSIGNATURE_V1) {
    throw new NoteError('a cosignature needs a cosignature/v1 key (type 0x04)');
  }
  const head = Buffer.alloc(12);
  head.writeUInt32BE(signer.keyId, 0);
  head.writeBigUInt64BE(BigInt(timestamp), 4);
  const blob = Buffer.concat([head, signer.sign(cosignatureMessage(checkpointText, timestamp))]);
  return `${EM_DASH} ${signer.name} ${blob.toString('base64')}\n`;
}

function verifyCosignature(text: string, key: NoteVerifierKey, blob: Buffer): number {
  if (blob.length !== 72) {
    throw new NoteError(`the cosignature of ${key.name} is not 8 + 64 bytes`);
  }
  const timestamp = blob.readBigUInt64BE(0);
  if (timestamp === 0n || timestamp >= 2n ** 63n) {
    throw new NoteError(`the cosignature of ${key.name} has no valid timestamp`);
  }
  if (!verify(null, cosignatureMessage(text, Number(timestamp)), ed25519PublicKey(key.publicKey), blob.subarray(8))) {
    throw new NoteError(`the cosignature of ${key.name} (${hex8(key.keyId)}) does not verify`);
  }
  return Number(timestamp);
}
