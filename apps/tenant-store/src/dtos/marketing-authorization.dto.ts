import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsDefined,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  AD_ACCOUNT_ID_PATTERN,
  CONVERSATION_SCOPES,
  CustodyMarking,
  DATA_USE_PATTERN,
  DESTINATION_KINDS,
  GRAPH_ID_PATTERN,
} from '@custody/contracts';
import type { ConversationScope, DestinationKind } from '@custody/contracts';

/** Conversation labels: letters, digits and `_ . : -`, starting with a letter or digit, at most 64. */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const LABEL_MESSAGE = 'label must be 1-64 characters: letters, digits, _ . : - (starting with a letter or digit)';
const DATA_USE_MESSAGE =
  'each value in dataUses must be a data use key such as marketing.advertising.first_party.targeted';

/** A Meta-style ads destination: a customer-list audience or a conversions dataset of an ad account. */
export class MarketingDestinationInputDto {
  /** A customer-list audience or a conversions dataset. */
  @ApiProperty({ enum: DESTINATION_KINDS, example: 'customer_list_audience' })
  @IsIn(DESTINATION_KINDS)
  kind: DestinationKind;

  /** The ad account (`act_<digits>`). */
  @ApiProperty({ example: 'act_1234567890', pattern: AD_ACCOUNT_ID_PATTERN })
  @Matches(AD_ACCOUNT_ID_PATTERN, { message: 'adAccountId must be act_ followed by 1-32 digits' })
  adAccountId: string;

  /** The customer-list audience id; required for kind `customer_list_audience`, not allowed otherwise. */
  @ApiPropertyOptional({ example: '23851234567890123', pattern: GRAPH_ID_PATTERN })
  @IsOptional()
  @Matches(GRAPH_ID_PATTERN, { message: 'audienceId must be 1-32 digits' })
  audienceId?: string;

  /** The dataset (pixel) id; required for kind `conversions_dataset`, not allowed otherwise. */
  @ApiPropertyOptional({ example: '1234567890123456', pattern: GRAPH_ID_PATTERN })
  @IsOptional()
  @Matches(GRAPH_ID_PATTERN, { message: 'datasetId must be 1-32 digits' })
  datasetId?: string;
}

/** What an authorization allows: the data uses, and which of the tenant's hosted conversations. */
export class MarketingAuthorizationTermsDto {
  /**
   * The data uses authorized for this destination (fideslang-style keys), e.g.
   * `marketing.advertising.first_party.targeted` for an audience or
   * `analytics.reporting.ad_performance` for conversions. A customer's consent is still checked
   * for each of them at export time.
   */
  @ApiProperty({ type: [String], example: ['marketing.advertising.first_party.targeted'], minItems: 1, maxItems: 20 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(DATA_USE_PATTERN, { each: true, message: DATA_USE_MESSAGE })
  dataUses: string[];

  /**
   * Which conversations: `all` hosted conversations, those carrying `label`, or those that came
   * from an ad referral (click-to-chat ad).
   */
  @ApiProperty({ enum: CONVERSATION_SCOPES, example: 'all' })
  @IsIn(CONVERSATION_SCOPES)
  scope: ConversationScope;

  /** The conversation label; required with scope `label`, not allowed otherwise. */
  @ApiPropertyOptional({ example: 'vip' })
  @IsOptional()
  @Matches(LABEL_PATTERN, { message: LABEL_MESSAGE })
  label?: string;
}

export class CreateMarketingAuthorizationDto extends MarketingAuthorizationTermsDto {
  /** The ads destination; it has one authorization. */
  @ApiProperty({ type: MarketingDestinationInputDto })
  @IsDefined({ message: 'destination is required' })
  @IsObject({ message: 'destination must be an object' })
  @ValidateNested()
  @Type(() => MarketingDestinationInputDto)
  destination: MarketingDestinationInputDto;
}

/** A new version of an authorization's terms (replaces dataUses, scope and label). */
export class UpdateMarketingAuthorizationDto extends MarketingAuthorizationTermsDto {}

export class ListMarketingAuthorizationsQueryDto {
  /** Only authorizations in this state. */
  @ApiPropertyOptional({ enum: ['active', 'withdrawn'] })
  @IsOptional()
  @IsIn(['active', 'withdrawn'])
  status?: 'active' | 'withdrawn';
}

export class MarketingDestinationDto {
  /** Custody's id of the destination (stable across versions; the export keys its ledger by it). */
  @ApiProperty({ format: 'uuid' })
  destinationId: string;
  /** A customer-list audience or a conversions dataset. */
  @ApiProperty({ enum: DESTINATION_KINDS })
  kind: DestinationKind;
  /** The ad account (`act_<digits>`). */
  @ApiProperty({ example: 'act_1234567890' })
  adAccountId: string;
  /** For kind `customer_list_audience`. */
  @ApiPropertyOptional()
  audienceId?: string;
  /** For kind `conversions_dataset`. */
  @ApiPropertyOptional()
  datasetId?: string;
}

/** What one version of an authorization says; the authorization itself shows its latest. */
abstract class AuthorizationVersionTermsDto {
  /** The version number: every change makes a new one, and the authorization shows its latest (see the versions log). */
  @ApiProperty({ example: 1 })
  version: number;
  /** `withdrawn`: nothing more is published for this destination until a new active version. */
  @ApiProperty({ enum: ['active', 'withdrawn'] })
  status: 'active' | 'withdrawn';
  /** The data uses authorized; the export checks each customer's consent for them. */
  @ApiProperty({ type: [String] })
  dataUses: string[];
  /** Which conversations: `all`, those with `label`, or those from a click-to-chat ad (`ad_referral`). */
  @ApiProperty({ enum: CONVERSATION_SCOPES })
  scope: ConversationScope;
  /** The label of scope `label`; null otherwise. */
  @ApiPropertyOptional({ nullable: true, type: String })
  label: string | null;
}

/** A tenant's authorization as it stands now (its latest version). */
export class MarketingAuthorizationDto extends AuthorizationVersionTermsDto {
  /** The authorization id. */
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** Where the export sends. */
  @ApiProperty({ type: MarketingDestinationDto })
  destination: MarketingDestinationDto;
  /** When version 1 was recorded. */
  @ApiProperty()
  createdAt: string;
  /** When the current version was recorded. */
  @ApiProperty()
  updatedAt: string;
  /**
   * What the authorization can apply to: only hosted chats, which are not end-to-end encrypted
   * (Custody holds them). A chat without this marking is never published.
   */
  @ApiProperty({ type: CustodyMarking })
  appliesTo: CustodyMarking;
}

export class MarketingAuthorizationListDto {
  @ApiProperty({ type: [MarketingAuthorizationDto] })
  data: MarketingAuthorizationDto[];
}

/** One immutable entry of an authorization's log. */
export class MarketingAuthorizationVersionDto extends AuthorizationVersionTermsDto {
  /** Who made this version: the subject of the token used (e.g. `client:<clientId>`). */
  @ApiProperty({ example: 'client:tc_4f2a9c' })
  actor: string;
  /** When this version was recorded. */
  @ApiProperty()
  createdAt: string;
}

export class MarketingAuthorizationVersionsDto {
  /** The authorization. */
  @ApiProperty({ format: 'uuid' })
  authorizationId: string;
  /** Its destination. */
  @ApiProperty({ type: MarketingDestinationDto })
  destination: MarketingDestinationDto;
  /** Every version, oldest first. */
  @ApiProperty({ type: [MarketingAuthorizationVersionDto] })
  versions: MarketingAuthorizationVersionDto[];
}

/** A tenant's access token for one of its ad accounts, as the ads platform issued it. */
export class RegisterAdsCredentialDto {
  /**
   * The ads platform's access token for the ad account in the path (e.g. a system-user token).
   * Checked with the platform before it is kept; stored encrypted, never shown again.
   */
  @ApiProperty({ minLength: 16, maxLength: 4096, writeOnly: true })
  @IsString()
  @Length(16, 4096, { message: 'accessToken must be 16-4096 characters' })
  @Matches(/^[\x21-\x7e]+$/, { message: 'accessToken must be printable ASCII without spaces' })
  accessToken: string;
}

/** An ads credential of the tenant (the token itself is never returned). */
export class AdsCredentialDto {
  /** The ad account (`act_<digits>`) the token acts for. */
  @ApiProperty({ example: 'act_1234567890', pattern: AD_ACCOUNT_ID_PATTERN })
  adAccountId: string;

  createdAt: string;
  updatedAt: string;
  /** When the ads platform last confirmed that the token acts for the account. */
  verifiedAt: string;
}

export class AdsCredentialListDto {
  @ApiProperty({ type: [AdsCredentialDto] })
  data: AdsCredentialDto[];
}
