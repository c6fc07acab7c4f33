import { calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';
import {
  Checkpoint,
  deriveLogSigner,
  NoteSigner,
  signCheckpoint,
  signTreeHead,
  SignedTreeHead,
  TreeHeadStatement,
} from '@custody/transparency-log';

interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** The Ed25519 seed: each log's checkpoint key is derived from it (see deriveLogSigner). */
  seed: Buffer;
  /** Milliseconds since the epoch; the key signs only within [validFrom, validUntil). */
  validFrom?: number;
  validUntil?: number;
}

/** One log's checkpoint key as published: the C2SP verifier key and when it signs. */
export interface CheckpointKey {
  /** `<origin>+<key id>+<base64>`: pass to `note.NewVerifier` or `custody-audit --log-key`. */
  verifierKey: string;
  /** The key id, 8 hex digits (first 4 bytes of SHA-256(origin ‖ LF ‖ 0x01 ‖ public key)). */
  keyId: string;
  /** The `kid` of the operator's log key it is derived from. */
  derivedFrom: string;
  validFrom: string | null;
  validUntil: string | null;
  /** Whether it signs checkpoints now. */
  active: boolean;
}

const SIGNER_CACHE_LIMIT = 10_000;

const instant = (value: unknown, what: string, i: number): number | undefined => {
  if (value === undefined) {
    return undefined;
  }
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new Error(`key #${i}: ${what} must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z`);
  }
  return ms;
};

/**
 * The consent log's Ed25519 signing keys (CONSENT_LOG_KEY_FILE). The first key valid now signs the
 * JSON tree heads; every key valid now signs each checkpoint, through a key of each log derived
 * from it (so a rotation can overlap: old and new keys both sign until the old one expires).
 * Every key is published, so heads signed before a rotation stay verifiable.
 */
export class LogKeysRepository {
  private readonly signers = new Map<string, NoteSigner>();

  private constructor(private readonly keys: LoadedKey[]) {}

  /**
   * Loads one private JWK or `{ "keys": [private JWKs] }`; a key without `kid` gets its RFC 7638
   * thumbprint. A key may carry `validFrom` and `validUntil` (RFC 3339) to bound when it signs.
   */
  static async load(json: unknown): Promise<LogKeysRepository> {
    const list: unknown[] = Array.isArray((json as { keys?: unknown })?.keys)
      ? (json as { keys: unknown[] }).keys
      : [json];
    if (list.length === 0) {
      throw new Error('the key set is empty');
    }
    const loaded: LoadedKey[] = [];
    for (const [i, raw] of list.entries()) {
      const { validFrom, validUntil, ...jwk } = raw as JWK & { validFrom?: unknown; validUntil?: unknown };
      if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
        throw new Error(`key #${i} must be an Ed25519 JWK (kty OKP, crv Ed25519)`);
      }
      if (typeof jwk.d !== 'string') {
        throw new Error(`key #${i} is not a private key (no "d")`);
      }
      const kid = jwk.kid ?? (await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }));
      const privateKey = (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
      const from = instant(validFrom, 'validFrom', i);
      const until = instant(validUntil, 'validUntil', i);
      if (from !== undefined && until !== undefined && until <= from) {
        throw new Error(`key #${i}: validUntil must be after validFrom`);
      }
      loaded.push({
        kid,
        privateKey,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' },
        seed: Buffer.from(jwk.d, 'base64url'),
        validFrom: from,
        validUntil: until,
      });
    }
    const now = Date.now();
    if (!loaded.some((k) => (k.validFrom ?? -Infinity) <= now && now < (k.validUntil ?? Infinity))) {
      throw new Error('no key in the set is valid now (validFrom/validUntil)');
    }
    return new LogKeysRepository(loaded);
  }

  /** A fresh private JWK, for first runs and tests. */
  static async generatePrivateJwk(kid?: string): Promise<JWK> {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    return {
      ...jwk,
      kid: kid ?? (await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x })),
      alg: 'EdDSA',
      use: 'sig',
    };
  }

  publicJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  sign(head: Omit<TreeHeadStatement, 'type'>): Promise<SignedTreeHead> {
    const active = this.active(head.timestamp)[0];
    return signTreeHead(head, active.privateKey, active.kid);
  }

  /** The C2SP checkpoint of one log, signed by that log's key derived from every key valid at `nowMs`. */
  signCheckpoint(checkpoint: Checkpoint, nowMs: number): string {
    return signCheckpoint(
      checkpoint,
      this.active(nowMs).map((k) => this.signerFor(k, checkpoint.origin)),
    );
  }

  /** A note with `text` signed by the log's checkpoint key (the first key valid at `nowMs`), e.g. an inclusion promise. */
  signNote(origin: string, text: string, nowMs: number): string {
    return `${text}\n${this.signerFor(this.active(nowMs)[0], origin).signatureLine(text)}`;
  }

  /** Every checkpoint key of the log named `origin`, newest configuration first. */
  checkpointKeys(origin: string, nowMs: number): CheckpointKey[] {
    const active = new Set(this.active(nowMs));
    return this.keys.map((k) => {
      const signer = this.signerFor(k, origin);
      return {
        verifierKey: signer.verifierKey,
        keyId: signer.keyId.toString(16).padStart(8, '0'),
        derivedFrom: k.kid,
        validFrom: k.validFrom === undefined ? null : new Date(k.validFrom).toISOString(),
        validUntil: k.validUntil === undefined ? null : new Date(k.validUntil).toISOString(),
        active: active.has(k),
      };
    });
  }

  /** Keys valid at `nowMs`, in configuration order; the first key when none is (better a signed head than none). */
  private active(nowMs: number): LoadedKey[] {
    const valid = this.keys.filter((k) => (k.validFrom ?? -Infinity) <= nowMs && nowMs < (k.validUntil ?? Infinity));
    return valid.length ? valid : [this.keys[0]];
  }

  private signerFor(key: LoadedKey, origin: string): NoteSigner {
    const cacheKey = `${key.kid}\n${origin}`;
    let signer = this.signers.get(cacheKey);
    if (!signer) {
      if (this.signers.size >= SIGNER_CACHE_LIMIT) {
        this.signers.delete(this.signers.keys().next().value!);
      }
      signer = deriveLogSigner(key.seed, origin);
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }
}
