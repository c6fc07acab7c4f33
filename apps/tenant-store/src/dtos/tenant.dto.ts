import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { GRAPH_ID_PATTERN } from '@custody/contracts';
import { CursorPageDto, PageCursor, PageLimit } from '@custody/platform';
import type { TenantEntity } from '../entities';

export class PhoneNumberDto {
  /** The network's id of the business phone number (digits), used in send URLs. */
  @ApiProperty({ example: '106540352242922', pattern: GRAPH_ID_PATTERN })
  @Matches(GRAPH_ID_PATTERN, { message: 'phoneNumberId must be 1-32 digits' })
  phoneNumberId: string;

  /** The number customers see, in E.164 form. */
  @ApiProperty({ example: '+15550001111' })
  @Matches(/^\+\d{6,20}$/, { message: 'displayPhoneNumber must be E.164, e.g. +15550001111' })
  displayPhoneNumber: string;
}

export class CreateTenantDto {
  /** The business's messaging account id (WABA id); unique on the platform. */
  @ApiProperty({ example: '102290129340398', pattern: GRAPH_ID_PATTERN })
  @Matches(GRAPH_ID_PATTERN, { message: 'businessAccountId must be 1-32 digits' })
  businessAccountId: string;

  @ApiProperty({ example: 'Acme Shoes' })
  @IsString()
  @Length(1, 200)
  displayName: string;

  @ApiProperty({ type: [PhoneNumberDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PhoneNumberDto)
  phoneNumbers: PhoneNumberDto[];

  /** Where Custody POSTs webhooks (inbound messages, statuses). */
  @ApiPropertyOptional({ example: 'https://acme.example/whatsapp/webhook' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  webhookUrl?: string;

  /** Key for the `X-Hub-Signature-256` HMAC on webhooks. Stored, never returned. */
  @ApiProperty({ example: 'a-long-random-app-secret', minLength: 16, writeOnly: true })
  @IsString()
  @Length(16, 256)
  appSecret: string;

  /** Throughput per phone number, messages/s (default 80, at most 1,000). */
  @ApiPropertyOptional({ example: 80, minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  messagesPerSecond?: number;
}

export class TenantResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  businessAccountId: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty({ type: [PhoneNumberDto] })
  phoneNumbers: PhoneNumberDto[];

  @ApiPropertyOptional({ nullable: true, type: String })
  webhookUrl: string | null;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status: 'active' | 'suspended';

  @ApiProperty()
  messagesPerSecond: number;

  /** Messages older than this many days are purged (default 30). */
  @ApiProperty({ example: 30 })
  retentionDays: number;

  @ApiProperty()
  createdAt: string;
}

export function mapTenant(t: TenantEntity): TenantResponseDto {
  return {
    id: t.id,
    businessAccountId: t.businessAccountId,
    displayName: t.displayName,
    phoneNumbers: (t.phoneNumbers ?? [])
      .map((p) => ({ phoneNumberId: p.phoneNumberId, displayPhoneNumber: p.displayPhoneNumber }))
      .sort((a, b) => a.phoneNumberId.localeCompare(b.phoneNumberId)),
    webhookUrl: t.webhookUrl,
    status: t.status,
    messagesPerSecond: t.messagesPerSecond,
    retentionDays: t.retentionDays,
    createdAt: t.createdAt.toISOString(),
  };
}

export class UpdateTenantDto {
  /** Message retention in days, within the operator's limits (RETENTION_MIN_DAYS..RETENTION_MAX_DAYS). */
  @ApiPropertyOptional({ example: 30 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;

  /** Throughput per phone number, messages/s (1 to 1,000). */
  @ApiPropertyOptional({ example: 80 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  messagesPerSecond?: number;
}

export class OffboardTenantDto {
  /** Must equal the tenant's business account id: a guard against deleting the wrong tenant. */
  @ApiProperty({ example: '102290129340398' })
  @IsString()
  @Length(1, 64)
  confirmBusinessAccountId: string;
}

export class OffboardReportDto {
  @ApiProperty()
  tenantId: string;
  @ApiProperty()
  messages: number;
  @ApiProperty()
  statuses: number;
  @ApiProperty()
  conversations: number;
  /** Marketing authorizations that were active and were withdrawn (all of them are then deleted). */
  @ApiProperty()
  marketingAuthorizations: number;
  @ApiProperty()
  dataKeysDestroyed: boolean;
}

export class PurgeReportDto {
  @ApiProperty()
  tenants: number;
  @ApiProperty()
  messages: number;
  @ApiProperty()
  conversations: number;
  @ApiProperty()
  startedAt: string;
  @ApiProperty()
  finishedAt: string;
}

export class ClientCredentialsDto {
  @ApiProperty({ example: 'cid_3J9x0...' })
  clientId: string;

  /** Shown once, at creation; Custody keeps only a hash. */
  @ApiProperty({ example: 'cs_Qm9...' })
  clientSecret: string;

  @ApiProperty({ enum: ['tenant_admin', 'tenant_agent', 'auditor'], isArray: true })
  roles: string[];
}

export class CreatedTenantResponseDto {
  @ApiProperty({ type: TenantResponseDto })
  tenant: TenantResponseDto;

  @ApiProperty({ type: ClientCredentialsDto })
  credentials: ClientCredentialsDto;
}

export class CreateCredentialDto {
  /** Roles the credential's tokens carry. */
  @ApiProperty({ enum: ['tenant_admin', 'tenant_agent', 'auditor'], isArray: true, example: ['tenant_agent'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(['tenant_admin', 'tenant_agent', 'auditor'], { each: true })
  roles: Array<'tenant_admin' | 'tenant_agent' | 'auditor'>;
}

export class ListTenantsQueryDto {
  @PageLimit(200, 50)
  limit?: number;

  /** Opaque cursor from a previous page's `nextCursor`. */
  @PageCursor(200)
  cursor?: string;
}

export class TenantPageDto extends CursorPageDto(TenantResponseDto) {}
