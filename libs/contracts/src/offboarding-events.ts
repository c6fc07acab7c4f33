import { createHash } from 'node:crypto';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { EventBase, registerTopicSchema } from './events';
import { Topics } from './topics';

/**
 * The services that hold rows of a tenant and must remove them when it is offboarded; each reports
 * on `offboarding.results`, and the offboarding completes only when all of them have.
 */
export const OFFBOARDING_SERVICES = ['tenant-store', 'ingest', 'consent', 'marketing-export'] as const;
export type OffboardingService = (typeof OFFBOARDING_SERVICES)[number];

/**
 * `custody.offboarding.requests.v1` (key `tenantId`, eventId = offboardingId): tenant-store has
 * offboarded a tenant (its own rows are gone, its data keys destroyed); every other service removes
 * every row it holds of the tenant and reports.
 */
export class OffboardingRequestedEvent extends EventBase {
  @IsIn(['offboarding.requested'])
  type: 'offboarding.requested';

  @IsUUID()
  offboardingId: string;
}

/** The consent log's last state when it was removed: hashes only, for an auditor to compare. */
export class OffboardedLogHead {
  @IsInt()
  @Min(0)
  treeSize: number;

  /** The root hash of the log at `treeSize`, hex. */
  @IsString()
  @Matches(/^[0-9a-f]{0,128}$/)
  root: string;
}

/**
 * `custody.offboarding.results.v1` (key `tenantId`, eventId `<offboardingId>:<service>`): one
 * service removed the tenant's rows. `tables` counts the rows removed per table of the service's
 * schema (tables with none are left out); never any content.
 */
export class OffboardingResultEvent extends EventBase {
  @IsIn(['offboarding.completed', 'offboarding.failed'])
  type: 'offboarding.completed' | 'offboarding.failed';

  @IsUUID()
  offboardingId: string;

  @IsIn(OFFBOARDING_SERVICES)
  service: OffboardingService;

  @IsIn(['removed', 'failed'])
  outcome: 'removed' | 'failed';

  /** Rows removed, per table of the service's schema (e.g. `{ "webhook_deliveries": 12 }`). */
  @IsObject()
  tables: Record<string, number>;

  /** Other effects, counted (e.g. marketing-export's `audienceRemovals` at the ads platform). */
  @IsOptional()
  @IsObject()
  effects?: Record<string, number>;

  /** consent: the log's size and root when it was removed. */
  @IsOptional()
  @ValidateNested()
  @Type(() => OffboardedLogHead)
  logHead?: OffboardedLogHead;

  /** A reason without personal data, when `outcome` is `failed`. */
  @IsOptional()
  @IsString()
  @Length(1, 500)
  error?: string;
}

registerTopicSchema(Topics.OffboardingRequests, OffboardingRequestedEvent);
registerTopicSchema(Topics.OffboardingResults, OffboardingResultEvent);

/**
 * How a tenant is named once it is gone: the SHA-256 (hex) of a fixed prefix and its id. The
 * records of an offboarding keep this, never the id, so whoever knows the id (the operator, the
 * tenant's auditor) can find them and a reader of the database learns nothing it did not know.
 */
export function offboardedTenantHash(tenantId: string): string {
  return createHash('sha256').update(`custody.offboarded-tenant.v1:${tenantId.toLowerCase()}`).digest('hex');
}
