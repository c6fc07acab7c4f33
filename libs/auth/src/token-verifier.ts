import { createLocalJWKSet, createRemoteJWKSet, errors, JWK, jwtVerify, JWTVerifyGetKey } from 'jose';
import { CLAIM_ROLES, CLAIM_TENANT, isRole, Principal, TENANT_ROLES } from './roles';

export type AuthFailure = 'missing' | 'expired' | 'invalid';

export class AuthError extends Error {
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface VerifierSettings {
  issuer: string;
  audience: string;
  /** A remote JWKS (every service but the issuer) ... */
  jwksUrl?: string;
  /** ... or a local key set (the issuer itself, tests). */
  jwks?: () => { keys: JWK[] };
  clockToleranceSeconds?: number;
}

/** Only asymmetric algorithms: `none` and HMAC tokens are refused before any key is looked up. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'EdDSA'];

/** How long a verified token's result is reused (remote key sets only; see TokenVerifier.verify). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /** token → its principal and until when it may be reused; undefined: no reuse (local key sets). */
  private readonly verified?: Map<string, { principal: Principal; until: number }>;

  constructor(private readonly settings: VerifierSettings) {
    if (settings.jwks) {
      const source = settings.jwks;
      this.keys = (header, token) => createLocalJWKSet(source())(header, token);
    } else if (settings.jwksUrl) {
      this.keys = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.verified = new Map();
    } else {
      throw new Error('TokenVerifier needs jwksUrl or jwks');
    }
  }

  /**
   * Verifies a bearer token. With a remote key set, a token that verified is reused for at most
   * 60 s and never past its `exp`: a client sends the same token for every request until it
   * expires, and the ES256 check was a tenth of the send path's CPU. This does not widen what a
   * removed key can do: the remote key set itself is cached for ten minutes.
   */
  async verify(token: string | undefined): Promise<Principal> {
    if (!token) {
      throw new AuthError('missing', 'An access token is required (Authorization: Bearer <token>)');
    }
    const reused = this.verified?.get(token);
    if (reused) {
      if (Date.now() < reused.until) {
        return reused.principal;
      }
      this.verified?.delete(token);
    }
    const { principal, exp } = await this.verifyFully(token);
    if (this.verified) {
      if (this.verified.size >= VERIFIED_MAX_ENTRIES) {
        // Oldest first (Map keeps insertion order).
        this.verified.delete(this.verified.keys().next().value as string);
      }
      this.verified.set(token, { principal, until: Math.min(Date.now() + VERIFIED_TTL_MS, exp * 1000) });
    }
    return principal;
  }

  private async verifyFully(token: string): Promise<{ principal: Principal; exp: number }> {
    let payload: Record<string, unknown>;
    try {
      const result = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: this.settings.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      payload = result.payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new AuthError('expired', 'The access token has expired');
      }
      throw new AuthError('invalid', describeJoseError(error));
    }
    const rawRoles = payload[CLAIM_ROLES];
    if (!Array.isArray(rawRoles) || rawRoles.length === 0 || !rawRoles.every(isRole)) {
      throw new AuthError('invalid', 'The access token carries no valid roles');
    }
    const tenantId = payload[CLAIM_TENANT];
    if (tenantId !== undefined && (typeof tenantId !== 'string' || !UUID.test(tenantId))) {
      throw new AuthError('invalid', 'The access token carries a malformed tenant id');
    }
    if (rawRoles.some((r) => TENANT_ROLES.includes(r)) && !tenantId) {
      throw new AuthError('invalid', 'A tenant role requires a tenant id in the token');
    }
    // Frozen: the same object answers every reuse of the token.
    const principal: Principal = Object.freeze({
      subject: String(payload.sub),
      tenantId: tenantId?.toLowerCase(),
      roles: Object.freeze([...rawRoles]) as Principal['roles'],
      tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
    });
    return { principal, exp: Number(payload.exp) };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return 'The access token is signed with an unknown key';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The access token uses an algorithm that is not accepted';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The access token's "${error.claim}" claim is not acceptable`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'The access token signature is invalid';
  }
  return 'The access token is malformed or invalid';
}
