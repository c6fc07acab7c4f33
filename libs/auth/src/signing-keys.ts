import { exportJWK, generateKeyPair, importJWK, JWK, SignJWT, CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { CLAIM_ROLES, CLAIM_TENANT, Role } from './roles';

export type SigningAlg = 'ES256' | 'EdDSA';
const SUPPORTED: readonly string[] = ['ES256', 'EdDSA'];

interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The issuer's signing keys. The first key signs; every key is published in the JWKS, so
 * tokens signed by a key being rotated out stay valid until they expire. Rotation: put the new
 * key first, keep the old one until the longest token lifetime has passed, then remove it.
 */
export class SigningKeys {
  private constructor(private readonly keys: LoadedKey[]) {}

  /** Loads `{ "keys": [private JWK with kid and alg, ...] }`. */
  static async fromJwks(jwks: unknown): Promise<SigningKeys> {
    const list = (jwks as { keys?: unknown })?.keys;
    if (!Array.isArray(list) || list.length === 0) {
      throw new Error('signing key set must be {"keys": [...]} with at least one private JWK');
    }
    const loaded: LoadedKey[] = [];
    for (const [index, raw] of list.entries()) {
      const jwk = raw as JWK;
      if (typeof jwk.kid !== 'string' || !jwk.kid) {
        throw new Error(`signing key #${index} has no kid`);
      }
      if (typeof jwk.alg !== 'string' || !SUPPORTED.includes(jwk.alg)) {
        throw new Error(`signing key ${jwk.kid}: alg must be ES256 or EdDSA`);
      }
      if (typeof jwk.d !== 'string') {
        throw new Error(`signing key ${jwk.kid} is not a private key`);
      }
      const privateKey = (await importJWK(jwk, jwk.alg)) as CryptoKey;
      const { d: _d, ...publicJwk } = jwk;
      loaded.push({ kid: jwk.kid, alg: jwk.alg as SigningAlg, privateKey, publicJwk: { ...publicJwk, use: 'sig' } });
    }
    return new SigningKeys(loaded);
  }

  /** A fresh private key set, for first runs and tests. */
  static async generateJwks(alg: SigningAlg = 'ES256', kid = `k-${randomUUID()}`): Promise<{ keys: JWK[] }> {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      crv: alg === 'EdDSA' ? 'Ed25519' : undefined,
    });
    const jwk = await exportJWK(privateKey);
    return { keys: [{ ...jwk, kid, alg, use: 'sig' }] };
  }

  publicJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  get activeKid(): string {
    return this.keys[0].kid;
  }

  async sign(claims: {
    issuer: string;
    audience: string | string[];
    subject: string;
    tenantId?: string;
    roles: Role[];
    ttlSeconds: number;
  }): Promise<{ token: string; expiresAt: Date; tokenId: string }> {
    const active = this.keys[0];
    const tokenId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { [CLAIM_ROLES]: claims.roles };
    if (claims.tenantId) {
      payload[CLAIM_TENANT] = claims.tenantId;
    }
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: 'at+jwt' })
      .setIssuer(claims.issuer)
      .setAudience(claims.audience)
      .setSubject(claims.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + claims.ttlSeconds)
      .setJti(tokenId)
      .sign(active.privateKey);
    return { token, expiresAt: new Date((now + claims.ttlSeconds) * 1000), tokenId };
  }
}
