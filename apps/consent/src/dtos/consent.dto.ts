import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  DATA_USE_PATTERN,
  LANGUAGE_PATTERN,
  PURPOSE_KEY_PATTERN,
  SHA256_HEX_PATTERN,
  WA_ID_PATTERN,
  WAMID_PATTERN,
} from '@custody/contracts';
import { LANGUAGE_MESSAGE } from './purpose.dto';
import { PageLimit, QueryInt } from '@custody/platform';

export class CustomerDto {
  /** The customer's WhatsApp id (the phone number's digits). Custody logs only a keyed pseudonym of it. */
  @ApiProperty({ example: '15551234567', pattern: WA_ID_PATTERN })
  @Matches(WA_ID_PATTERN, { message: 'customer.waId must be 6-20 digits' })
  waId: string;
}

export class RecordPromptDto {
  /** The customer the wording was shown to. */
  @ApiProperty({ type: CustomerDto })
  @ValidateNested()
  @Type(() => CustomerDto)
  customer: CustomerDto;

  /** Language of the wordings shown (the current version in this language of each purpose). */
  @ApiProperty({ example: 'en' })
  @Matches(LANGUAGE_PATTERN, { message: LANGUAGE_MESSAGE })
  language: string;

  /** The purposes whose wording the message showed. */
  @ApiProperty({ example: ['ads-retargeting'], type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(PURPOSE_KEY_PATTERN, { each: true, message: 'each purpose must be a purpose key' })
  purposes: string[];

  /** The network id of the message that showed the wording (the opt-in message). */
  @ApiPropertyOptional({ example: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI4' })
  @IsOptional()
  @Matches(WAMID_PATTERN, { message: 'messageId must be a wamid. message id' })
  messageId?: string;

  /** When it was shown (default: now). */
  @ApiPropertyOptional({ example: '2025-11-25T10:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  shownAt?: string;
}

export const EVIDENCE_TYPES = ['signed_form', 'web_form', 'email', 'call_recording', 'in_person', 'other'] as const;

export class EvidenceDto {
  /** What kind of record proves a tenant-recorded consent. */
  @ApiPropertyOptional({ enum: EVIDENCE_TYPES })
  @IsOptional()
  @IsIn(EVIDENCE_TYPES)
  type?: (typeof EVIDENCE_TYPES)[number];

  /** Your own reference to that record: an opaque id, never personal data (it enters the log). */
  @ApiPropertyOptional({ example: 'crm-form-88213' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/^[\x21-\x7e]+$/, { message: 'evidence.reference must be printable ASCII without spaces' })
  reference?: string;

  /** SHA-256 (hex) of the evidence document, so it can be matched later without storing it here. */
  @ApiPropertyOptional({
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    pattern: SHA256_HEX_PATTERN,
  })
  @IsOptional()
  @Matches(SHA256_HEX_PATTERN, { message: 'evidence.sha256 must be 64 lower-case hex digits' })
  sha256?: string;

  /** The network id of the customer's reply or button tap (required for `in_chat_button`). */
  @ApiPropertyOptional({ example: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzRUIw' })
  @IsOptional()
  @Matches(WAMID_PATTERN, { message: 'evidence.messageId must be a wamid. message id' })
  messageId?: string;
}

export const API_METHODS = ['in_chat_button', 'tenant_recorded', 'api'] as const;

export class RecordConsentDto {
  /** The customer who gave or withdrew consent. */
  @ApiProperty({ type: CustomerDto })
  @ValidateNested()
  @Type(() => CustomerDto)
  customer: CustomerDto;

  /** The tenant's purpose key. */
  @ApiProperty({ example: 'ads-retargeting' })
  @Matches(PURPOSE_KEY_PATTERN, { message: 'purpose must be a purpose key' })
  purpose: string;

  /** `grant` gives consent to the purpose, `revoke` withdraws it. */
  @ApiProperty({ enum: ['grant', 'revoke'] })
  @IsIn(['grant', 'revoke'])
  action: 'grant' | 'revoke';

  /**
   * How the customer gave or withdrew consent. `in_chat_button` needs `evidence.messageId`;
   * `tenant_recorded` needs `evidence.type` and `evidence.reference`. (`in_chat_keyword` is
   * recorded by Custody itself from STOP/START.)
   */
  @ApiProperty({ enum: API_METHODS })
  @IsIn(API_METHODS)
  method: (typeof API_METHODS)[number];

  /** Grants: the prompt (`POST /v1/consent/prompts`) that showed this purpose's wording to this customer. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  promptId?: string;

  /** What proves it; required fields depend on `method`. Only references enter the log, never documents. */
  @ApiPropertyOptional({ type: EvidenceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EvidenceDto)
  evidence?: EvidenceDto;

  /** When the customer gave or withdrew consent (default: now; not in the future, not before the prompt). */
  @ApiPropertyOptional({ example: '2025-11-25T10:01:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;
}

export class EntryPurposeDto {
  /** The tenant's purpose key. */
  @ApiProperty()
  key: string;

  /** The data use the purpose gates. */
  @ApiProperty()
  dataUse: string;

  /** The wording version (not on a revoke). */
  @ApiPropertyOptional()
  version?: number;

  /** The wording's language (not on a revoke). */
  @ApiPropertyOptional()
  language?: string;

  @ApiPropertyOptional({ description: 'SHA-256 (hex) of the wording version' })
  wordingHash?: string;
}

/** A consent log entry as the API shows it: the entry itself (docs/consent-log-format.md) and where it sits in the tree. */
export class LogEntryDto {
  /** The entry's id (the `eventId` of proofs and of consent events). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** What the entry records: a prompt shown, a grant or a revoke. */
  @ApiProperty({ enum: ['consent.prompted', 'consent.granted', 'consent.revoked'] })
  kind: string;

  /** Position in the tenant's log (leaf index). */
  @ApiProperty()
  leafIndex: number;

  /** RFC 6962 leaf hash (base64) of the canonical entry. */
  @ApiProperty()
  leafHash: string;

  /** The entry exactly as logged (canonical JSON, parsed). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  entry: Record<string, unknown>;
}

export class ConsentRecordResponseDto extends LogEntryDto {
  /** The customer's pseudonym in the log. */
  @ApiProperty()
  subject: string;

  /** The purposes shown (prompt) or granted or withdrawn (one). */
  @ApiProperty({ type: EntryPurposeDto, isArray: true })
  purposes: EntryPurposeDto[];

  /** When it happened (given by the caller, or the time of recording). */
  @ApiProperty()
  occurredAt: string;

  /** When the log appended it. */
  @ApiProperty()
  recordedAt: string;

  /**
   * The log's signed promise that this entry is at `leafIndex` with `leafHash` and will be in a
   * signed checkpoint within the log's maximum merge delay: a C2SP signed note by the log's
   * checkpoint key (docs/consent-log-format.md). Keep it; `custody-audit verify-promise` checks it
   * against a later checkpoint and reports a broken promise.
   */
  @ApiProperty({
    example:
      'custody.consent.inclusion-promise/v1\nconsent.custody.local/6f1c…\n41\n<leaf hash>\n1764064800412\n1764064920412\n\n— consent.custody.local/6f1c… <signature>\n',
  })
  inclusionPromise: string;
}

export class PurposeStateDto {
  /** The purpose key. */
  @ApiProperty()
  purpose: string;

  /** The data use the purpose gates. */
  @ApiProperty()
  dataUse: string;

  /** `none` means nothing was ever recorded: no consent (fail closed). */
  @ApiProperty({ enum: ['granted', 'revoked', 'none'] })
  status: 'granted' | 'revoked' | 'none';

  /** The wording version the current grant (or the withdrawn one) points at. */
  @ApiPropertyOptional({ nullable: true, type: String })
  wordingHash: string | null;

  /** When the current status took effect; null for `none`. */
  @ApiPropertyOptional({ nullable: true, type: String })
  since: string | null;

  /** The log entry that set the current status; null for `none`. */
  @ApiPropertyOptional({ nullable: true, type: String, format: 'uuid' })
  eventId: string | null;

  /** That entry's position in the log; null for `none`. */
  @ApiPropertyOptional({ nullable: true, type: Number })
  leafIndex: number | null;
}

export class CustomerStateDto {
  /** The customer's pseudonym in this tenant's log; null when the number has none (never recorded, or erased). */
  @ApiProperty({ nullable: true, type: String })
  subject: string | null;

  /** One state per purpose the tenant has defined. */
  @ApiProperty({ type: [PurposeStateDto] })
  purposes: PurposeStateDto[];
}

export class HistoryQueryDto {
  /** Page size. */
  @PageLimit(500, 100)
  limit?: number;

  /** Leaf index to continue after (the previous page's `nextCursor`). */
  @QueryInt({ min: 0 })
  after?: number;
}

export class HistoryDto {
  /** The customer's pseudonym; null (and no entries) when the number has none (never recorded, or erased). */
  @ApiProperty({ nullable: true, type: String })
  subject: string | null;

  /** The customer's log entries, oldest first. */
  @ApiProperty({ type: [LogEntryDto] })
  entries: LogEntryDto[];

  /** Give as `after` for the next page; null on the last page. */
  @ApiPropertyOptional({ nullable: true, type: Number })
  nextCursor: number | null;
}

/** A customer named by WhatsApp id, in a path or a query. */
export class WaIdParamDto {
  /** The customer's WhatsApp id (digits). */
  @ApiProperty({ example: '15551234567', pattern: WA_ID_PATTERN })
  @Matches(WA_ID_PATTERN, { message: 'waId must be 6-20 digits' })
  waId: string;
}

export class CheckQueryDto extends WaIdParamDto {
  /** The data use to check; a grant on it or on an ancestor allows it. */
  @ApiProperty({ example: 'marketing.advertising.first_party.targeted' })
  @Matches(DATA_USE_PATTERN, { message: 'dataUse must be a dotted data-use key' })
  dataUse: string;
}

export class CheckBasisDto {
  /** The purpose whose entry decided. */
  @ApiProperty()
  purpose: string;

  /** That purpose's data use. */
  @ApiProperty()
  dataUse: string;

  /** The wording version the grant points at. */
  @ApiPropertyOptional({ nullable: true, type: String })
  wordingHash: string | null;

  /** The deciding log entry (cite it; prove it with an inclusion proof). */
  @ApiProperty({ format: 'uuid' })
  eventId: string;

  /** That entry's position in the log. */
  @ApiProperty()
  leafIndex: number;
}

export class CheckResponseDto {
  /** True only when a grant on this data use or an ancestor of it is in force. */
  @ApiProperty()
  allowed: boolean;

  /** `granted`; `revoked` (withdrawn); `no_consent` (nothing recorded). */
  @ApiProperty({ enum: ['granted', 'revoked', 'no_consent'] })
  reason: 'granted' | 'revoked' | 'no_consent';

  /** The log entry the answer rests on; absent for `no_consent`. */
  @ApiPropertyOptional({ type: CheckBasisDto })
  basis?: CheckBasisDto;
}
