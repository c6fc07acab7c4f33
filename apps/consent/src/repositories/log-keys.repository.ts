import { calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';
import { signTreeHead, SignedTreeHead, TreeHeadStatement } from '@custody/transparency-log';

interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The consent log's Ed25519 signing keys (CONSENT_LOG_KEY_FILE). The first key signs tree heads;
 * every key is published so heads signed before a rotation stay verifiable.
 */
export class LogKeysRepository {
  private constructor(private readonly keys: LoadedKey[]) {}

  /** Loads one private JWK or `{ "keys": [private JWKs] }`; a key without `kid` gets its RFC 7638 thumbprint. */
  static async load(json: unknown): Promise<LogKeysRepository> {
    const list: unknown[] = Array.isArray((json as { keys?: unknown })?.keys)
      ? (json as { keys: unknown[] }).keys
      : [json];
    if (list.length === 0) {
      throw new Error('the key set is empty');
    }
    const loaded: LoadedKey[] = [];
    for (const [i, raw] of list.entries()) {
      const jwk = raw as JWK;
      if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
        throw new Error(`key #${i} must be an Ed25519 JWK (kty OKP, crv Ed25519)`);
      }
      if (typeof jwk.d !== 'string') {
        throw new Error(`key #${i} is not a private key (no "d")`);
      }
      const { d: _d, ...publicPart } = jwk;
      const kid = jwk.kid ?? (await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }));
      const privateKey = (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
      loaded.push({
        kid,
        privateKey,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: publicPart.x, kid, alg: 'EdDSA', use: 'sig' },
      });
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
    const active = this.keys[0];
    return signTreeHead(head, active.privateKey, active.kid);
  }
}
