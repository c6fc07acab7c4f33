import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { asTenantId } from '@custody/database';
import { DomainError } from '@custody/platform';
import {
  AuditorCredentialDto,
  AuditorCredentialListDto,
  CreateAuditorCredentialDto,
  CreatedAuditorCredentialDto,
} from '../dtos/auditor-credential.dto';
import { AuditorCredential, AuditorCredentialRepository } from '../repositories/auditor-credential.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { hashSecret, newClientSecret } from './credential-secrets';

const MAX_VALIDITY_MS = 366 * 86_400_000;

const toDto = (c: AuditorCredential): AuditorCredentialDto => ({
  clientId: c.clientId,
  tenantId: c.tenantId,
  label: c.label,
  expiresAt: c.expiresAt.toISOString(),
  createdAt: c.createdAt.toISOString(),
  revokedAt: c.revokedAt?.toISOString() ?? null,
});

/** The operator mints auditor credentials: scoped to one tenant's consent log or platform-wide, always expiring. */
@Injectable()
export class AuditorCredentialService {
  constructor(
    private readonly credentials: AuditorCredentialRepository,
    private readonly tenants: TenantRepository,
  ) {}

  async mint(dto: CreateAuditorCredentialDto): Promise<CreatedAuditorCredentialDto> {
    const expiresAt = new Date(dto.expiresAt);
    const left = expiresAt.getTime() - Date.now();
    if (!(left > 0 && left <= MAX_VALIDITY_MS)) {
      throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        'expiresAt must be in the future and at most 366 days ahead',
      ]);
    }
    if (dto.tenantId && !(await this.tenants.get(asTenantId(dto.tenantId.toLowerCase())))) {
      throw new DomainError(HttpStatus.NOT_FOUND, 'not_found', 'Tenant not found');
    }
    const clientSecret = newClientSecret();
    const created = await this.credentials.insert({
      clientId: `aud_${randomBytes(12).toString('base64url')}`,
      tenantId: dto.tenantId?.toLowerCase() ?? null,
      secretHash: hashSecret(clientSecret),
      label: dto.label,
      expiresAt,
    });
    return { ...toDto(created), clientSecret };
  }

  async list(): Promise<AuditorCredentialListDto> {
    return { data: (await this.credentials.list(500)).map(toDto) };
  }

  async revoke(clientId: string): Promise<AuditorCredentialDto> {
    const revoked = await this.credentials.revoke(clientId);
    if (!revoked) {
      throw new DomainError(HttpStatus.NOT_FOUND, 'not_found', 'Auditor credential not found');
    }
    return toDto(revoked);
  }
}
