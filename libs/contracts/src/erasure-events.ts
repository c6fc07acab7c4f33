import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Min, ValidateNested } from 'class-validator';
import { EventBase, registerTopicSchema } from './events';
import { CustomerRef } from './message-events';
import { Topics } from './topics';

/** The services that take part in erasing a customer; each reports on `erasure.results`. */
export const ERASURE_SERVICES = ['tenant-store', 'ingest', 'consent', 'marketing-export'] as const;
export type ErasureService = (typeof ERASURE_SERVICES)[number];

/**
 * `custody.erasure.requests.v1` (key `tenantId:requestId`, eventId = requestId): a tenant asked
 * Custody to forget one customer (GDPR Art. 17). It names the customer by reference (each service
 * finds the customer in its own data by it) and carries the number only sealed; the topic has a
 * short retention (see docs/data-lifecycle.md).
 */
export class ErasureRequestedEvent extends EventBase {
  @IsIn(['erasure.requested'])
  type: 'erasure.requested';

  @IsUUID()
  requestId: string;

  @ValidateNested()
  @Type(() => CustomerRef)
  customer: CustomerRef;
}

/**
 * `custody.erasure.results.v1` (key `tenantId:requestId`, eventId `<requestId>:<service>`): one
 * service's completion. `outcome: 'nothing_found'` when the service held nothing of the customer.
 * `counts` says what was erased (e.g. `{ messages: 12, conversations: 1 }`), never who.
 */
export class ErasureResultEvent extends EventBase {
  @IsIn(['erasure.completed', 'erasure.failed'])
  type: 'erasure.completed' | 'erasure.failed';

  @IsUUID()
  requestId: string;

  @IsIn(ERASURE_SERVICES)
  service: ErasureService;

  @IsIn(['erased', 'nothing_found', 'failed'])
  outcome: 'erased' | 'nothing_found' | 'failed';

  @IsOptional()
  @IsObject()
  counts?: Record<string, number>;

  /** A reason without personal data, when `outcome` is `failed`. */
  @IsOptional()
  @IsString()
  @Length(1, 500)
  error?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  attempt?: number;
}

registerTopicSchema(Topics.ErasureRequests, ErasureRequestedEvent);
registerTopicSchema(Topics.ErasureResults, ErasureResultEvent);

export function erasureEventKey(tenantId: string, requestId: string): string {
  return `${tenantId}:${requestId}`;
}
