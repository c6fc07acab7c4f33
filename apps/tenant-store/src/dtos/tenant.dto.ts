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
import { GRAPH_ID_PATTERN, OFFBOARDING_SERVICES } from '@custody/contracts';
import { CursorPageDto, OmittedOrSet, PageCursor, PageLimit } from '@custody/platform';
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

  /** The business's name as shown to operators. */
  @ApiProperty({ example: 'Acme Shoes' })
  @IsString()
  @Length(1, 200)
  displayName: string;

  /** The business's phone numbers hosted by Custody (at least one; ids unique on the platform). */
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
  /** The tenant id (the `tenant_id` of its tokens). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The business's messaging account id (WABA id). */
  @ApiProperty()
  businessAccountId: string;

  /** The business's name. */
  @ApiProperty()
  displayName: string;

  /** The business's hosted numbers. */
  @ApiProperty({ type: [PhoneNumberDto] })
  phoneNumbers: PhoneNumberDto[];

  /** Where webhooks go; null when none is set. */
  @ApiPropertyOptional({ nullable: true, type: String })
  webhookUrl: string | null;

  /** `suspended`: its clients get no tokens. */
  @ApiProperty({ enum: ['active', 'suspended'] })
  status: 'active' | 'suspended';

  /** Throughput per phone number (messages/s). */
  @ApiProperty()
  messagesPerSecond: number;

  /** Messages older than this many days are purged (default 30). */
  @ApiProperty({ example: 30 })
  retentionDays: number;

  /** When the tenant was created. */
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
  @ApiPropertyOptional({ example: 30, type: 'integer' })
  @OmittedOrSet()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;

  /** Throughput per phone number, messages/s (1 to 1,000). */
  @ApiPropertyOptional({ example: 80, type: 'integer' })
  @OmittedOrSet()
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

export class OffboardingLogHeadDto {
  /** How many entries the consent log had when it was removed. */
  @ApiProperty({ type: 'integer' })
  treeSize: number;
  /** Its root hash (hex) at that size: compare it with the last checkpoint you hold. */
  @ApiProperty({ example: '5d8e…' })
  root: string;
}

export class OffboardingServiceDto {
  /** A service that holds rows of tenants. */
  @ApiProperty({ enum: OFFBOARDING_SERVICES })
  service: string;
  /** `pending` until the service reports; `failed` shows why and may still turn into `removed` (the service retries). */
  @ApiProperty({ enum: ['pending', 'removed', 'failed'] })
  status: string;
  /** Rows removed, per table of the service's schema (tables that held none are left out). */
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { messages: 12, conversations: 1 },
  })
  tables: Record<string, number> | null;
  /** Effects outside the database, counted (marketing-export: `audienceRemovals` at the ads platform). */
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { audienceRemovals: 3 },
  })
  effects: Record<string, number> | null;
  /** consent: the log's size and root hash when it was removed. */
  @ApiPropertyOptional({ nullable: true, type: () => OffboardingLogHeadDto })
  logHead: OffboardingLogHeadDto | null;
  /** Why the service failed (no personal data). */
  @ApiPropertyOptional({ nullable: true, type: String })
  error: string | null;
  /** When this service's status last changed. */
  @ApiProperty()
  updatedAt: string;
}

/**
 * An offboarding and what each service removed. Kept after the tenant is gone, without its id:
 * it is found by the id you give (`GET /v1/tenants/{id}/offboarding`).
 */
export class OffboardingDto {
  /** The offboarding id (`offboardingId` of the offboarding events). */
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** `completed` once every service reported `removed`. */
  @ApiProperty({ enum: ['pending', 'completed'] })
  status: string;
  /** Each service's report. */
  @ApiProperty({ type: () => [OffboardingServiceDto] })
  services: OffboardingServiceDto[];
  /** The tenant's data keys are destroyed (done by tenant-store before it answers). */
  @ApiProperty()
  dataKeysDestroyed: boolean;
  /** When the offboarding started. */
  @ApiProperty()
  createdAt: string;
  /** When the last service reported. */
  @ApiPropertyOptional({ nullable: true, type: String })
  completedAt: string | null;
}

export class OffboardReportDto {
  /** The offboarded tenant. */
  @ApiProperty()
  tenantId: string;
  /** Messages deleted. */
  @ApiProperty()
  messages: number;
  /** Status rows deleted. */
  @ApiProperty()
  statuses: number;
  /** Conversations deleted. */
  @ApiProperty()
  conversations: number;
  /** Marketing authorizations that were active and were withdrawn (all of them are then deleted). */
  @ApiProperty()
  marketingAuthorizations: number;
  /** The tenant's data keys are destroyed (crypto-shredding). */
  @ApiProperty()
  dataKeysDestroyed: boolean;
  /** The offboarding across every service (`GET /v1/tenants/{id}/offboarding` follows it). */
  @ApiProperty({ type: () => OffboardingDto })
  offboarding: OffboardingDto;
}

export class PurgeReportDto {
  /** Tenants with rows past their retention. */
  @ApiProperty()
  tenants: number;
  /** Messages deleted. */
  @ApiProperty()
  messages: number;
  /** Conversations deleted (no message left). */
  @ApiProperty()
  conversations: number;
  /** When the run started. */
  @ApiProperty()
  startedAt: string;
  /** When it finished. */
  @ApiProperty()
  finishedAt: string;
}

export class ClientCredentialsDto {
  /** The client id for the token endpoint. */
  @ApiProperty({ example: 'cid_3J9x0...' })
  clientId: string;

  /** Shown once, at creation; Custody keeps only a hash. */
  @ApiProperty({ example: 'cs_Qm9...' })
  clientSecret: string;

  /** Roles the credential's tokens carry. */
  @ApiProperty({ enum: ['tenant_admin', 'tenant_agent', 'auditor'], isArray: true })
  roles: string[];
}

export class CreatedTenantResponseDto {
  /** The new tenant. */
  @ApiProperty({ type: TenantResponseDto })
  tenant: TenantResponseDto;

  /** Its first client credentials (a `tenant_admin`). */
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
  /** Page size. */
  @PageLimit(200, 50)
  limit?: number;

  /** Opaque cursor from a previous page's `nextCursor`. */
  @PageCursor(200)
  cursor?: string;
}

export class TenantPageDto extends CursorPageDto(TenantResponseDto) {}
