import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID, Length } from 'class-validator';

export class CreateAuditorCredentialDto {
  /** The tenant whose consent log the auditor may read; leave out for every tenant's log (platform-wide). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  /** When the credential stops working (RFC 3339): in the future, at most 366 days ahead. */
  @ApiProperty({ example: '2026-12-31T00:00:00Z' })
  @IsISO8601({ strict: true })
  expiresAt: string;

  /** Who it is for, e.g. the audit firm and engagement; shown in listings and the consent log's read records. */
  @ApiProperty({ example: 'Example Audit LLP, 2026 consent review' })
  @IsString()
  @Length(1, 200)
  label: string;
}

export class AuditorCredentialDto {
  /** The client id for the token endpoint (`POST /v1/oauth/token`). */
  @ApiProperty({ example: 'aud_3J9x0...' })
  clientId: string;

  /** The tenant whose log it reads; null when platform-wide. */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  tenantId: string | null;

  @ApiProperty()
  label: string;

  /** Tokens are refused from then on, and no token outlives it. */
  @ApiProperty()
  expiresAt: string;

  @ApiProperty()
  createdAt: string;

  /** When the operator revoked it; null while it is valid. */
  @ApiProperty({ type: String, nullable: true })
  revokedAt: string | null;
}

export class CreatedAuditorCredentialDto extends AuditorCredentialDto {
  /** Shown once, at creation; Custody keeps only a hash. */
  @ApiProperty({ example: 'cs_Qm9...' })
  clientSecret: string;
}

export class AuditorCredentialListDto {
  /** Newest first. */
  @ApiProperty({ type: [AuditorCredentialDto] })
  data: AuditorCredentialDto[];
}
