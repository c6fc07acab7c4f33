import { SignJWT, UnsecuredJWT, importJWK, JWK, CryptoKey } from 'jose';
import { randomBytes } from 'node:crypto';

export interface MintOptions {
  issuer: string;
  audience: string;
  subject?: string;
  roles?: string[];
  tenantId?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  kid?: string;
}

function claims(o: MintOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { roles: o.roles ?? ['tenant_admin'] };
  if (o.tenantId) {
    out.tenant_id = o.tenantId;
  }
  return out;
}

/** Signs a token with a private JWK, for the rejection cases the issuer itself never produces. */
export async function mintWithKey(privateJwk: JWK, o: MintOptions): Promise<string> {
  const alg = privateJwk.alg ?? 'ES256';
  const key = (await importJWK(privateJwk, alg)) as CryptoKey;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims(o))
    .setProtectedHeader({ alg, kid: o.kid ?? privateJwk.kid })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject ?? 'test-subject')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (o.expiresIn ?? 300))
    .sign(key);
}

/** An HMAC-signed token (HS256): Custody must refuse it whatever the secret. */
export async function mintHs256(o: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims(o))
    .setProtectedHeader({ alg: 'HS256', kid: o.kid })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject ?? 'test-subject')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(randomBytes(32));
}

/** An unsigned token (`alg: none`). */
export function mintAlgNone(o: MintOptions): string {
  const now = Math.floor(Date.now() / 1000);
  return new UnsecuredJWT(claims(o))
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject ?? 'test-subject')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .encode();
}
