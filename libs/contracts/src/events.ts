import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsBase64,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CIPHERTEXT_PATTERN, GRAPH_ID_PATTERN } from './identifiers';
import { Topic, Topics } from './topics';

/** Fields every event carries. `eventId` is deterministic where a replay must be a no-op. */
export abstract class EventBase {
  @IsString()
  @Length(1, 200)
  eventId: string;

  @IsUUID()
  tenantId: string;

  @IsISO8601({ strict: true })
  occurredAt: string;
}

export class PhoneNumberRecord {
  @IsString()
  @Matches(GRAPH_ID_PATTERN)
  phoneNumberId: string;

  @IsString()
  @Matches(/^\+?\d{6,20}$/)
  displayPhoneNumber: string;
}

/**
 * One version of a tenant's data key as tenant-store distributes it to the services that seal or
 * open the tenant's content (ingest, consent): wrapped by the master key, never in clear. A
 * destroyed version has no `wrappedKey`.
 */
export class DistributedDataKeyRecord {
  @IsInt()
  @Min(1)
  @Max(999_999_999)
  version: number;

  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
  masterKeyId: string;

  /** CIPHERTEXT: the data key wrapped by the master key `masterKeyId` (base64). */
  @IsOptional()
  @IsBase64()
  @Length(16, 4096)
  wrappedKey?: string;

  @IsISO8601({ strict: true })
  createdAt: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  retiredAt?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  destroyedAt?: string;
}

/**
 * A tenant's customer index key (the HMAC key of its customers' references and conversation ids)
 * as tenant-store distributes it to ingest and consent: wrapped by the master key, never in
 * clear; one per tenant, never rotated. A destroyed key has no `wrappedKey`.
 */
export class DistributedCustomerIndexKeyRecord {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
  masterKeyId: string;

  /** CIPHERTEXT: the index key wrapped by the master key `masterKeyId` (base64). */
  @IsOptional()
  @IsBase64()
  @Length(16, 4096)
  wrappedKey?: string;

  @IsISO8601({ strict: true })
  createdAt: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  destroyedAt?: string;
}

/**
 * tenant-store publishes a tenant's current routing facts and wrapped data keys (compacted by
 * tenant id).
 */
export class TenantChangedEvent extends EventBase {
  @IsIn(['tenant.changed'])
  type: 'tenant.changed';

  @IsString()
  @Length(1, 64)
  businessAccountId: string;

  @IsIn(['active', 'suspended'])
  status: 'active' | 'suspended';

  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PhoneNumberRecord)
  phoneNumbers: PhoneNumberRecord[];

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  webhookUrl?: string;

  /** The business's display name (the numbers' verified name in the Cloud API's phone number object). */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  displayName?: string;

  /**
   * CIPHERTEXT: the key ingest signs webhooks with (X-Hub-Signature-256), sealed under the
   * tenant's data key (associated data: the tenant, `webhook_app_secret`) as tenant-store stores
   * it. Never in clear on the topic or in a table.
   */
  @IsOptional()
  @Matches(CIPHERTEXT_PATTERN)
  @Length(1, 2048)
  webhookAppSecretCiphertext?: string;

  /**
   * The tenant's data keys, every version (wrapped; destroyed ones as tombstones). The services
   * that seal or open its content keep exactly these; a deleted tenant's keys go with it.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DistributedDataKeyRecord)
  dataKeys?: DistributedDataKeyRecord[];

  /** The tenant's customer index key, wrapped (absent: an older event, receivers keep what they hold). */
  @IsOptional()
  @ValidateNested()
  @Type(() => DistributedCustomerIndexKeyRecord)
  customerIndexKey?: DistributedCustomerIndexKeyRecord;

  /** Throughput limit per phone number (messages per second). */
  @IsOptional()
  messagesPerSecond?: number;

  /** How many days the tenant's data is kept (every service purges its own copies past it). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;

  @IsOptional()
  @IsBoolean()
  deleted?: boolean;
}

export type EventClass = new () => EventBase;

/** Which event class a topic carries; the producer and the consumer validate against it. */
const SCHEMAS = new Map<Topic, EventClass>([[Topics.TenantsChanged, TenantChangedEvent]]);

export function registerTopicSchema(topic: Topic, schema: EventClass): void {
  SCHEMAS.set(topic, schema);
}

export function schemaFor(topic: Topic): EventClass | undefined {
  return SCHEMAS.get(topic);
}
