import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Role, Roles, SigningKeys } from '@custody/auth';
import { TokenResponseDto } from '../dtos/token.dto';
import { AuditorCredentialRepository } from '../repositories/auditor-credential.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { secretMatches } from './credential-secrets';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  operatorClientId: string;
  operatorClientSecret: string;
}

/** RFC 6749 errors, as OAuth client libraries expect them. */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
  ) {
    super(description);
  }
}

@Injectable()
export class TokenService {
  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: TokenSettings,
    private readonly tenants: TenantRepository,
    private readonly auditors: AuditorCredentialRepository,
  ) {}

  async issue(
    clientId: string | undefined,
    clientSecret: string | undefined,
    scope?: string,
  ): Promise<TokenResponseDto> {
    if (!clientId || !clientSecret) {
      throw new OAuthError(
        401,
        'invalid_client',
        'Client authentication is required (HTTP Basic or client_id/client_secret)',
      );
    }
    const { subject, tenantId, roles, notAfter } = await this.authenticate(clientId, clientSecret);
    const granted = narrow(roles, scope);
    // A token never outlives the credential it was issued on (operator-minted auditor credentials expire).
    const ttlSeconds = notAfter
      ? Math.max(1, Math.min(this.settings.ttlSeconds, Math.floor((notAfter.getTime() - Date.now()) / 1000)))
      : this.settings.ttlSeconds;
    const { token } = await this.keys.sign({
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      subject,
      tenantId,
      roles: granted,
      ttlSeconds,
    });
    return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, scope: granted.join(' ') };
  }

  private async authenticate(
    clientId: string,
    clientSecret: string,
  ): Promise<{ subject: string; tenantId?: string; roles: Role[]; notAfter?: Date }> {
    if (equalDigest(clientId, this.settings.operatorClientId)) {
      if (!equalDigest(clientSecret, this.settings.operatorClientSecret)) {
        throw invalidClient();
      }
      return { subject: `operator:${clientId}`, roles: [Roles.Operator] };
    }
    if (clientId.startsWith('aud_')) {
      return this.authenticateAuditor(clientId, clientSecret);
    }
    const credential = await this.tenants.findCredential(clientId);
    if (!credential || credential.revokedAt || !secretMatches(clientSecret, credential.secretHash)) {
      throw invalidClient();
    }
    if (credential.tenantStatus !== 'active') {
      throw new OAuthError(401, 'invalid_client', 'The tenant is suspended');
    }
    return { subject: `client:${clientId}`, tenantId: credential.tenantId, roles: credential.roles };
  }

  /** An operator-minted auditor credential: `auditor` only, its tenant or none (platform-wide), until it expires. */
  private async authenticateAuditor(
    clientId: string,
    clientSecret: string,
  ): Promise<{ subject: string; tenantId?: string; roles: Role[]; notAfter: Date }> {
    const credential = await this.auditors.find(clientId);
    if (!credential || credential.revokedAt || !secretMatches(clientSecret, credential.secretHash)) {
      throw invalidClient();
    }
    if (credential.expiresAt.getTime() <= Date.now()) {
      throw new OAuthError(401, 'invalid_client', 'The auditor credential has expired');
    }
    if (credential.tenantId && credential.tenantStatus !== 'active') {
      throw new OAuthError(401, 'invalid_client', 'The tenant is suspended');
    }
    return {
      subject: `auditor:${clientId}`,
      tenantId: credential.tenantId ?? undefined,
      roles: [Roles.Auditor],
      notAfter: credential.expiresAt,
    };
  }
}

function invalidClient(): OAuthError {
  return new OAuthError(401, 'invalid_client', 'Unknown client or wrong secret');
}

function narrow(roles: Role[], scope: string | undefined): Role[] {
  if (!scope) {
    return roles;
  }
  const asked = scope.split(/\s+/).filter(Boolean);
  const granted = roles.filter((r) => asked.includes(r));
  if (granted.length !== asked.length || granted.length === 0) {
    throw new OAuthError(400, 'invalid_scope', `scope may only name roles of this client: ${roles.join(' ')}`);
  }
  return granted;
}

function equalDigest(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
