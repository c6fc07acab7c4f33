import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export class ButtonReplyDto {
  /** The button's label the customer tapped. */
  @ApiProperty({ example: 'Stop promotions' })
  @IsString()
  @Length(1, 256)
  text: string;

  /** The button's payload (e.g. `STOP`). */
  @ApiPropertyOptional({ example: 'STOP' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  payload?: string;
}

export class InteractiveReplyDto {
  /** A reply button tapped (`button_reply`) or a list row chosen (`list_reply`). */
  @ApiProperty({ enum: ['button_reply', 'list_reply'] })
  @IsIn(['button_reply', 'list_reply'])
  type: 'button_reply' | 'list_reply';

  /** The id the business gave the button or row. */
  @ApiProperty({ example: 'size_l' })
  @IsString()
  @Length(1, 256)
  id: string;

  /** Its title. */
  @ApiProperty({ example: 'Large' })
  @IsString()
  @Length(1, 24)
  title: string;

  /** A list row's description. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 72)
  description?: string;
}

export class CustomerMediaDto {
  /** The kind of media message. */
  @ApiProperty({ enum: ['image', 'document', 'audio', 'video', 'sticker'] })
  @IsIn(['image', 'document', 'audio', 'video', 'sticker'])
  type: 'image' | 'document' | 'audio' | 'video' | 'sticker';

  /** The file's MIME type, e.g. `image/jpeg`. */
  @ApiProperty({ example: 'image/jpeg' })
  @Matches(/^[a-z]+\/[a-z0-9.+-]{1,100}$/)
  mimeType: string;

  /** The file, base64 (up to 1 MB of it in the sandbox). */
  @ApiProperty()
  @IsString()
  @Length(1, 1_400_000)
  @Matches(/^[A-Za-z0-9+/]+={0,2}$/)
  data: string;

  /** A caption (image, video, document). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  caption?: string;

  /** The file name (document). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 240)
  filename?: string;

  /**
   * Test only: Custody's fetch of this media is answered with a redirect (HTTP 302) to this URL,
   * which Custody must not follow (the media arrives as unavailable).
   */
  @ApiPropertyOptional({ example: 'http://127.0.0.1:9/elsewhere' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(/^https?:\/\/\S+$/)
  testRedirectTo?: string;
}

export class ReferralDto {
  /** The ad (or post) id the customer came from. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  source_id?: string;

  /** `ad` or `post`. */
  @ApiPropertyOptional({ example: 'ad' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  source_type?: string;

  /** Click-to-WhatsApp ad click id. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 500)
  ctwa_clid?: string;
}

export class CustomerMessageDto {
  /** The business number the customer writes to. */
  @ApiProperty({ example: '100000000000011' })
  @Matches(/^\d{1,32}$/)
  phoneNumberId: string;

  /** A text message (or give `button`). */
  @ApiPropertyOptional({ example: 'Hi! Are the red sneakers back in stock?' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  text?: string;

  /** A quick-reply button tap instead of text. */
  @ApiPropertyOptional({ type: ButtonReplyDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ButtonReplyDto)
  button?: ButtonReplyDto;

  /** A reply to the business's interactive message (buttons or list) instead of text. */
  @ApiPropertyOptional({ type: InteractiveReplyDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => InteractiveReplyDto)
  interactive?: InteractiveReplyDto;

  /** A photo, document, voice note, video or sticker instead of text. */
  @ApiPropertyOptional({ type: CustomerMediaDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerMediaDto)
  media?: CustomerMediaDto;

  /** The business's message this one answers (sent as `context.id`). */
  @ApiPropertyOptional({ example: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI' })
  @IsOptional()
  @Matches(/^wamid\.[A-Za-z0-9_=-]{8,200}$/)
  replyTo?: string;

  /** The click-to-chat ad the message came from. */
  @ApiPropertyOptional({ type: ReferralDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReferralDto)
  referral?: ReferralDto;

  /** The customer's profile name. */
  @ApiPropertyOptional({ example: 'Ada' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  profileName?: string;
}

export class NetworkBehaviourDto {
  /** Percent of statuses sent twice. */
  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  duplicatePercent?: number;

  /** Upper bound of the random delay before each status (so they arrive out of order). */
  @ApiPropertyOptional({ minimum: 0, maximum: 60000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60000)
  maxDelayMs?: number;

  /** False: customers never read (no `read` status). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  customersRead?: boolean;

  /**
   * True: the network answers every outbound message, and Custody's fetches of customer media,
   * with HTTP 503 (an outage) until set false.
   */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  unavailable?: boolean;
}

export class CustomerBehaviourDto {
  /** Messages to this customer fail (status `failed`, code 131026). */
  @ApiProperty()
  @IsBoolean()
  fail: boolean;
}

export class TemplateReviewDto {
  /**
   * How new templates are reviewed: `approve` (the default) or `reject` them after `delayMs`, or
   * `manual`: they stay PENDING until `POST /sandbox/v1/templates/{id}/status` decides.
   */
  @ApiPropertyOptional({ enum: ['approve', 'reject', 'manual'] })
  @IsOptional()
  @IsIn(['approve', 'reject', 'manual'])
  mode?: 'approve' | 'reject' | 'manual';

  /** How long a review takes (default 50 ms). */
  @ApiPropertyOptional({ minimum: 0, maximum: 600000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  delayMs?: number;

  /** The reason given with `reject` (default INVALID_FORMAT). */
  @ApiPropertyOptional({ enum: ['ABUSIVE_CONTENT', 'INVALID_FORMAT', 'PROMOTIONAL', 'TAG_CONTENT_MISMATCH', 'SCAM'] })
  @IsOptional()
  @IsIn(['ABUSIVE_CONTENT', 'INVALID_FORMAT', 'PROMOTIONAL', 'TAG_CONTENT_MISMATCH', 'SCAM'])
  reason?: string;
}

export class TemplateStatusDto {
  /** The template's new status: a verdict, or a pause or a disabling for its quality. */
  @ApiProperty({ enum: ['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED'] })
  @IsIn(['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED'])
  status: 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED';

  /** With REJECTED: why (default INVALID_FORMAT). */
  @ApiPropertyOptional({ enum: ['ABUSIVE_CONTENT', 'INVALID_FORMAT', 'PROMOTIONAL', 'TAG_CONTENT_MISMATCH', 'SCAM'] })
  @IsOptional()
  @IsIn(['ABUSIVE_CONTENT', 'INVALID_FORMAT', 'PROMOTIONAL', 'TAG_CONTENT_MISMATCH', 'SCAM'])
  reason?: string;
}
