import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Role, Roles, SigningKeys } from '@custody/auth';
import { TokenResponseDto } from '../dtos/token.dto';
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
    const { subject, tenantId, roles } = await this.authenticate(clientId, clientSecret);
    const granted = narrow(roles, scope);
    const { token } = await this.keys.sign({
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      subject,
      tenantId,
      roles: granted,
      ttlSeconds: this.settings.ttlSeconds,
    });
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.settings.ttlSeconds,
      scope: granted.join(' '),
    };
  }

  private async authenticate(
    clientId: string,
    clientSecret: string,
  ): Promise<{ subject: string; tenantId?: string; roles: Role[] }> {
    if (equalDigest(clientId, this.settings.operatorClientId)) {
      if (!equalDigest(clientSecret, this.settings.operatorClientSecret)) {
        throw invalidClient();
      }
      return { subject: `operator:${clientId}`, roles: [Roles.Operator] };
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
