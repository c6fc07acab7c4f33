import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  FAULT_DOWN_STATUSES,
  FAULT_MODES,
  FAULT_RATE_LIMIT_CODES,
  FAULT_SCOPES,
  FaultMode,
  FaultScope,
} from '../services/ads-fault.service';
import { ACTION_SOURCES, MESSAGING_CHANNELS } from '../services/ads-validation';

// Request bodies of the simulated ads API are validated by the pure functions in
// services/ads-validation.ts (so errors are the platform's Graph errors, naming the bad row or
// event); these classes document them.

export class UsersPayloadDto {
  /** `PHONE_SHA256`, `EMAIL_SHA256` or `MOBILE_ADVERTISER_ID` alone, or multi-key fields (`PHONE`, `EMAIL`, `EXTERN_ID`, …). */
  @ApiProperty({ type: [String], example: ['PHONE_SHA256'] })
  schema: string[];

  /** One row per person, one value per schema key; hashed keys as 64 lowercase hex characters. At most 10,000 rows. */
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
    example: [['e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176']],
  })
  data: string[][];
}

export class UploadSessionDto {
  /** The caller's id of the upload session (positive integer). */
  @ApiProperty({ example: 9_778_993 })
  session_id: number;

  /** 1, 2, 3…; a re-sent (session_id, batch_seq) is answered as before and applied once. */
  @ApiProperty({ example: 1, minimum: 1 })
  batch_seq: number;

  /** True on the session's last batch; no new batch_seq is accepted after it. */
  @ApiProperty({ example: true })
  last_batch_flag: boolean;

  /** Rows the whole session will carry (informative). */
  @ApiPropertyOptional({ example: 1 })
  estimated_num_total?: number;
}

export class UsersRequestDto {
  /** The schema and the rows (may also be a JSON string). */
  @ApiProperty({ type: UsersPayloadDto })
  payload: UsersPayloadDto;

  /** The upload session (may also be a JSON string). */
  @ApiProperty({ type: UploadSessionDto })
  session: UploadSessionDto;
}

export class UsersResponseDto {
  /** The audience changed. */
  @ApiProperty({ example: '23850000000000001' })
  audience_id: string;

  /** The request's session. */
  @ApiProperty({ example: 9_778_993 })
  session_id: number;

  /** Rows received in this call. */
  @ApiProperty({ example: 1 })
  num_received: number;

  /** Rows skipped because a value was not valid (e.g. not a SHA-256 hash). */
  @ApiProperty({ example: 0 })
  num_invalid_entries: number;

  /** Row index → reason, for up to 10 invalid rows (the sandbox never echoes a value). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: {} })
  invalid_entry_samples: Record<string, string>;
}

export class ServerEventDto {
  /** The event's name, e.g. `LeadSubmitted` or `Purchase`. */
  @ApiProperty({ example: 'LeadSubmitted' })
  event_name: string;

  /** Unix seconds; at most 7 days old, not in the future. */
  @ApiProperty({ example: 1_764_000_000 })
  event_time: number;

  /** Deduplication key with event_name (48 hours). Required by the sandbox. */
  @ApiProperty({ example: 'wamid.HBgLMTY1MDU1NTEyMTIVAgASGBQzQTk' })
  event_id: string;

  /** Where the conversion happened. */
  @ApiProperty({ enum: ACTION_SOURCES })
  action_source: string;

  /** Required when action_source is `business_messaging`. */
  @ApiPropertyOptional({ enum: MESSAGING_CHANNELS })
  messaging_channel?: string;

  /** `em`/`ph` (and other hashed fields) as SHA-256 hex arrays; `ctwa_clid`, `whatsapp_business_account_id` as they are. */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      ph: ['e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
      ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ',
    },
  })
  user_data: Record<string, unknown>;

  /** Event details (e.g. `value`, `currency`), kept as sent. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  custom_data?: Record<string, unknown>;
}

export class EventsRequestDto {
  /** At most 1,000 events; one invalid event rejects the whole request. */
  @ApiProperty({ type: [ServerEventDto] })
  data: ServerEventDto[];

  /** Kept on the stored events. */
  @ApiPropertyOptional({ example: 'TEST12345' })
  test_event_code?: string;
}

export class EventsResponseDto {
  /** Events in the request (duplicates included: they are received, then deduplicated). */
  @ApiProperty({ example: 1 })
  events_received: number;

  /** Always empty (as the Graph API answers). */
  @ApiProperty({ type: [String], example: [] })
  messages: string[];

  /** An id for this request, as Graph gives. */
  @ApiProperty()
  fbtrace_id: string;
}

export class FaultDto {
  /** `ok` ends any fault. */
  @ApiProperty({ enum: FAULT_MODES })
  @IsIn(FAULT_MODES)
  mode: FaultMode;

  /** `down`: the HTTP status answered (default 503). */
  @ApiPropertyOptional({ enum: FAULT_DOWN_STATUSES })
  @IsOptional()
  @IsIn(FAULT_DOWN_STATUSES)
  status?: number;

  /** `slow`: delay added to each request, in ms (default 2000). */
  @ApiPropertyOptional({ minimum: 0, maximum: 30_000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30_000)
  delayMs?: number;

  /** `rate_limit`: Graph code (4 application, 17 user — the default, 613 or 80003 ads account). HTTP 429. */
  @ApiPropertyOptional({ enum: FAULT_RATE_LIMIT_CODES })
  @IsOptional()
  @IsIn(FAULT_RATE_LIMIT_CODES)
  code?: number;

  /** The fault ends by itself after this many ms. */
  @ApiPropertyOptional({ minimum: 1, maximum: 3_600_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  forMs?: number;

  /** The fault ends by itself after hitting this many requests. */
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  remaining?: number;

  /** Which requests the fault hits (default all). */
  @ApiPropertyOptional({ enum: FAULT_SCOPES })
  @IsOptional()
  @IsIn(FAULT_SCOPES)
  scope?: FaultScope;
}

export class FaultStateDto {
  /** The fault in force (`ok`: none). */
  @ApiProperty({ enum: FAULT_MODES })
  mode: FaultMode;

  /** HTTP status of `down` answers. */
  @ApiProperty()
  status: number;

  /** Added delay of `slow`. */
  @ApiProperty()
  delayMs: number;

  /** Graph error code of `rate_limit` answers. */
  @ApiProperty()
  code: number;

  /** Which ads calls the fault hits. */
  @ApiProperty({ enum: FAULT_SCOPES })
  scope: FaultScope;

  @ApiPropertyOptional({ description: 'When the fault ends by itself' })
  until?: string;

  @ApiPropertyOptional({ description: 'Requests left before the fault ends by itself' })
  remaining?: number;

  @ApiProperty({ description: 'Requests the fault has hit' })
  hits: number;
}

/** An ad account, audience or dataset as an access token of its ad account sees it. */
export class AdsObjectDto {
  /** `act_<digits>` for an ad account, the digits of an audience or dataset. */
  @ApiProperty({ example: '23850000000001' })
  id: string;

  /** The digits of the ad account the object belongs to. */
  @ApiProperty({ example: '100000000000001' })
  account_id: string;
}

/** A new access token of an ad account (sandbox): it reaches that account's objects only. */
export class AdAccountTokenDto {
  @ApiProperty({ example: 'act_100000000000001' })
  adAccountId: string;

  /** Shown once; the sandbox keeps only its SHA-256. */
  @ApiProperty()
  accessToken: string;
}
