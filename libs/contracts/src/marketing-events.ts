import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { DATA_USE_PATTERN } from './consent-events';
import { CustodyMarking } from './custody-marking';
import { EventBase, registerTopicSchema } from './events';
import { AdReferral } from './message-events';
import {
  AD_ACCOUNT_ID_PATTERN,
  CUSTOMER_REF_PATTERN,
  GRAPH_ID_PATTERN,
  SHA256_HEX_PATTERN,
  WAMID_PATTERN,
} from './identifiers';
import { Topics } from './topics';

/** The two kinds of Meta-style ads destination a tenant can authorize. */
export const DESTINATION_KINDS = ['customer_list_audience', 'conversions_dataset'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/**
 * Which conversations an authorization covers: all hosted ones, those carrying a label, or
 * those that came from an ad referral (click-to-chat ad).
 */
export const CONVERSATION_SCOPES = ['all', 'label', 'ad_referral'] as const;
export type ConversationScope = (typeof CONVERSATION_SCOPES)[number];

/** 1-20 data-use keys: what an authorization allows, and what a candidate was authorized for. */
function IsDataUseList(): PropertyDecorator {
  const decorators = [IsArray(), ArrayMinSize(1), ArrayMaxSize(20), Matches(DATA_USE_PATTERN, { each: true })];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/** One ads destination of a tenant (a Meta-style ad account's audience or dataset). */
export class MarketingDestinationRef {
  /** Custody's id of the destination (stable across authorization versions). */
  @IsUUID()
  destinationId: string;

  @IsIn(DESTINATION_KINDS)
  kind: DestinationKind;

  /** The ad account (`act_<digits>`). */
  @Matches(AD_ACCOUNT_ID_PATTERN)
  adAccountId: string;

  /** The customer-list audience id (kind `customer_list_audience`). */
  @IsOptional()
  @Matches(GRAPH_ID_PATTERN)
  audienceId?: string;

  /** The dataset (pixel) id (kind `conversions_dataset`). */
  @IsOptional()
  @Matches(GRAPH_ID_PATTERN)
  datasetId?: string;
}

/**
 * A tenant's authorization as it stands after a change: version N of its instruction for one
 * destination. `status: 'withdrawn'` (or a later version) means candidates published under
 * earlier versions must not be exported any more.
 */
export class MarketingAuthorizationState {
  @IsUUID()
  authorizationId: string;

  @IsInt()
  @Min(1)
  version: number;

  @IsIn(['active', 'withdrawn'])
  status: 'active' | 'withdrawn';

  @ValidateNested()
  @Type(() => MarketingDestinationRef)
  destination: MarketingDestinationRef;

  /** Data uses the tenant authorized for this destination (fideslang-style keys). */
  @IsDataUseList()
  dataUses: string[];

  @IsIn(CONVERSATION_SCOPES)
  scope: ConversationScope;

  /** The label, when `scope` is `label`. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  label?: string;
}

/**
 * The customer of a candidate as marketing-export may know it (it holds no keys): the reference
 * it joins consent and erasure on, and the ads platforms' match key — SHA-256 (hex) of the
 * normalized number (E.164 digits without `+`), as customer-list audiences (`PHONE_SHA256`) and
 * the Conversions API (`user_data.ph`) take it — which tenant-store computes when it opens the
 * number. The number itself does not travel here, not even sealed.
 */
export class MarketingCustomer {
  @Matches(CUSTOMER_REF_PATTERN)
  ref: string;

  /** Absent when the number cannot be a phone number (the export then skips the member). */
  @IsOptional()
  @Matches(SHA256_HEX_PATTERN)
  memberHash?: string;
}

/**
 * One message of an authorized conversation, minimized to what the export needs: who (the
 * customer's reference and match key), when, which message, and the ad referral if any. No
 * body: no data use needs one by default.
 */
export class MarketingCandidate {
  @IsUUID()
  authorizationId: string;

  /** The authorization version the message was authorized under. */
  @IsInt()
  @Min(1)
  authorizationVersion: number;

  @ValidateNested()
  @Type(() => MarketingDestinationRef)
  destination: MarketingDestinationRef;

  @IsDataUseList()
  dataUses: string[];

  @Matches(WAMID_PATTERN)
  messageId: string;

  @IsUUID()
  conversationId: string;

  @Matches(GRAPH_ID_PATTERN)
  phoneNumberId: string;

  @ValidateNested()
  @Type(() => MarketingCustomer)
  customer: MarketingCustomer;

  @IsIn(['customer', 'business'])
  origin: 'customer' | 'business';

  /** When the message happened on the network (the conversion's event_time). */
  @IsISO8601({ strict: true })
  networkTimestamp: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => AdReferral)
  referral?: AdReferral;

  /** Only hosted (not end-to-end) chats can ever be authorized; the marking says so. */
  @ValidateNested()
  @Type(() => CustodyMarking)
  custody: CustodyMarking;
}

/**
 * A tenant's ads credential for one of its ad accounts, as registered at tenant-store (which
 * checked with the ads platform that the token acts for that account). The token travels sealed
 * (AES-256-GCM under ADS_CREDENTIAL_KEY, which only tenant-store and marketing-export hold; AAD
 * `<tenantId>:<adAccountId>`); `deleted` withdraws it. The newest `changedAt` wins.
 */
export class MarketingAdsCredentialState {
  @Matches(AD_ACCOUNT_ID_PATTERN)
  adAccountId: string;

  @IsIn(['active', 'deleted'])
  status: 'active' | 'deleted';

  /** The sealed access token (status `active`). */
  @IsOptional()
  @IsString()
  @Length(1, 8192)
  sealedToken?: string;

  @IsISO8601({ strict: true })
  changedAt: string;
}

/** The AAD of a sealed ads credential: it opens only for this tenant and ad account. */
export function adsCredentialAad(tenantId: string, adAccountId: string): string {
  return `custody.ads-credential:${tenantId}:${adAccountId}`;
}

/**
 * `custody.marketing.authorized.v1`, published by tenant-store through its outbox:
 * - `marketing.candidate`: a message of an authorized conversation (key `tenantId:conversationId`,
 *   eventId `<authorizationId>:<messageId>`, so a replay is a no-op);
 * - `marketing.authorization`: the authorization's state after a change (key
 *   `tenantId:authorization:<authorizationId>`, eventId `<authorizationId>:v<version>`);
 * - `marketing.ads_credential`: a tenant's ads credential was registered, replaced or deleted
 *   (key `tenantId:ads_credential:<adAccountId>`).
 */
export class MarketingAuthorizedEvent extends EventBase {
  @IsIn(['marketing.candidate', 'marketing.authorization', 'marketing.ads_credential'])
  type: 'marketing.candidate' | 'marketing.authorization' | 'marketing.ads_credential';

  @IsOptional()
  @ValidateNested()
  @Type(() => MarketingAdsCredentialState)
  adsCredential?: MarketingAdsCredentialState;

  @IsOptional()
  @ValidateNested()
  @Type(() => MarketingCandidate)
  candidate?: MarketingCandidate;

  @IsOptional()
  @ValidateNested()
  @Type(() => MarketingAuthorizationState)
  authorization?: MarketingAuthorizationState;
}

registerTopicSchema(Topics.MarketingAuthorized, MarketingAuthorizedEvent);

export function marketingCandidateKey(tenantId: string, conversationId: string): string {
  return `${tenantId}:${conversationId}`;
}

export function marketingAdsCredentialKey(tenantId: string, adAccountId: string): string {
  return `${tenantId}:ads_credential:${adAccountId}`;
}

export function marketingAuthorizationKey(tenantId: string, authorizationId: string): string {
  return `${tenantId}:authorization:${authorizationId}`;
}

/**
 * `custody.export.results.v1`, published by marketing-export: what happened to a candidate or a
 * removal at the destination (for dashboards and the tenant; the ledger in marketing-export's
 * database is the record of truth).
 */
export class ExportResultEvent extends EventBase {
  @IsIn(['export.sent', 'export.suppressed', 'export.rejected', 'export.removed'])
  type: 'export.sent' | 'export.suppressed' | 'export.rejected' | 'export.removed';

  @IsUUID()
  destinationId: string;

  /** The ledger entry this result is recorded as. */
  @IsString()
  @Length(1, 200)
  ledgerId: string;

  @IsOptional()
  @Matches(WAMID_PATTERN)
  messageId?: string;

  /** Why a candidate was suppressed or rejected (e.g. `no_consent`, `authorization_withdrawn`). */
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

registerTopicSchema(Topics.ExportResults, ExportResultEvent);
