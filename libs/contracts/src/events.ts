import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { GRAPH_ID_PATTERN } from './identifiers';
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

/** tenant-store publishes a tenant's current routing facts (compacted by tenant id). */
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

  /**
   * The key ingest signs webhooks with (X-Hub-Signature-256). This compacted topic is readable
   * only by tenant-store and ingest (Kafka ACLs, see docs/operations.md); it never reaches a log.
   */
  @IsOptional()
  @IsString()
  @Length(16, 256)
  webhookAppSecret?: string;

  /** Throughput limit per phone number (messages per second). */
  @IsOptional()
  messagesPerSecond?: number;

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
