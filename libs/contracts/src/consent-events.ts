import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Min, ValidateNested } from 'class-validator';
import { EventBase, registerTopicSchema } from './events';
import { CustomerKey } from './message-events';
import { LANGUAGE_PATTERN, SHA256_HEX_PATTERN } from './identifiers';
import { Topics } from './topics';

export const CONSENT_METHODS = ['in_chat_keyword', 'in_chat_button', 'tenant_recorded', 'api'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** A data-use key of the hierarchical taxonomy, e.g. `marketing.advertising.first_party.targeted`. */
export const DATA_USE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,9}$/;
export const PURPOSE_KEY_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Which purpose, and which immutable wording version of it, a consent change concerns. */
export class ConsentPurposeRef {
  @Matches(PURPOSE_KEY_PATTERN)
  key: string;

  @Matches(DATA_USE_PATTERN)
  dataUse: string;

  /** The wording version the customer agreed to (grants; on revokes, the one being withdrawn if known). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @IsOptional()
  @Matches(LANGUAGE_PATTERN)
  language?: string;

  /** SHA-256 (hex) of the wording version's canonical content. */
  @IsOptional()
  @Matches(SHA256_HEX_PATTERN)
  wordingHash?: string;
}

/**
 * consent publishes every grant and revoke, keyed `tenantId:subject:purposeKey` on the
 * compacted `custody.consent.events.v1`: the latest event per key is the customer's current
 * state for that purpose. `eventId` is the consent log entry's id, so a replay is a no-op.
 * `subject` is the customer's keyed pseudonym as it appears in the verifiable log; `customer`
 * (the customer's reference, never the number) is here only so consumers can match messages, and
 * never enters the log.
 */
export class ConsentChangedEvent extends EventBase {
  @IsIn(['consent.granted', 'consent.revoked'])
  type: 'consent.granted' | 'consent.revoked';

  @Matches(SHA256_HEX_PATTERN)
  subject: string;

  @ValidateNested()
  @Type(() => CustomerKey)
  customer: CustomerKey;

  @ValidateNested()
  @Type(() => ConsentPurposeRef)
  purpose: ConsentPurposeRef;

  /** The state after this event (fail closed: anything but `granted` means no consent). */
  @IsIn(['granted', 'revoked'])
  status: 'granted' | 'revoked';

  @IsIn(CONSENT_METHODS)
  method: ConsentMethod;

  /** Position of the entry in the tenant's consent log (its Merkle tree leaf index). */
  @IsInt()
  @Min(0)
  logIndex: number;

  /** RFC 6962 leaf hash of the entry, base64. */
  @IsString()
  @Length(44, 44)
  leafHash: string;

  /** When the customer gave or withdrew consent (as recorded); `occurredAt` is when it was logged. */
  @IsISO8601({ strict: true })
  effectiveAt: string;
}

registerTopicSchema(Topics.ConsentEvents, ConsentChangedEvent);

/** The compacted topic's key: one current state per tenant, customer pseudonym and purpose. */
export function consentEventKey(tenantId: string, subject: string, purposeKey: string): string {
  return `${tenantId}:${subject}:${purposeKey}`;
}
