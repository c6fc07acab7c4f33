import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { CustodyMarking, WA_ID_PATTERN } from '@custody/contracts';
import { LABEL_PATTERN } from './marketing-authorization.dto';
import { CursorPageDto, PageCursor, PageLimit, QueryInt } from '@custody/platform';

const LABEL_MESSAGE = 'labels must be 1-64 characters: letters, digits, _ . : - (starting with a letter or digit)';

export class ListConversationsQueryDto {
  /** Only this customer's conversations (wa_id: digits of the phone number). */
  @ApiPropertyOptional({ example: '15550001111', pattern: WA_ID_PATTERN })
  @IsOptional()
  @Matches(WA_ID_PATTERN, { message: 'customer must be a wa_id (6-20 digits)' })
  customer?: string;

  /** Last activity at or after this time. */
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  /** Last activity before this time. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  /** Only conversations with at least one message in this status. */
  @ApiPropertyOptional({ enum: ['received', 'accepted', 'sent', 'delivered', 'read', 'failed'] })
  @IsOptional()
  @IsIn(['received', 'accepted', 'sent', 'delivered', 'read', 'failed'])
  status?: string;

  /** Page size, most recently active first. */
  @PageLimit(200, 50)
  limit?: number;

  /** Only conversations carrying this label. */
  @ApiPropertyOptional({ example: 'vip' })
  @IsOptional()
  @Matches(LABEL_PATTERN, { message: LABEL_MESSAGE })
  label?: string;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @PageCursor(300)
  cursor?: string;
}

export class ConversationQueryDto {
  /** How many of the most recent messages to include. */
  @QueryInt({ min: 1, max: 1000, default: 100 })
  messages?: number;
}

export class ConversationDto {
  /** The conversation id (deterministic from tenant, business number and customer). */
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** The business number of the conversation. */
  @ApiProperty()
  phoneNumberId: string;
  /** The customer's wa_id. */
  @ApiProperty()
  customer: string;
  /** The customer's profile name, when the network gave one. */
  @ApiPropertyOptional({ nullable: true, type: String })
  customerName: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'The ad referral the customer came from',
  })
  referral: Record<string, unknown> | null;
  /** When Custody stored its first message. */
  @ApiProperty()
  createdAt: string;
  /** When its latest message happened. */
  @ApiProperty()
  lastMessageAt: string;
  /** The 24-hour customer service window is open until this time (null: never opened). */
  @ApiPropertyOptional({ nullable: true, type: String })
  serviceWindowOpenUntil: string | null;
  /** When the customer was told the chat is hosted and not end-to-end encrypted. */
  @ApiPropertyOptional({ nullable: true, type: String })
  hostedNoticeSentAt: string | null;
  /** The tenant's labels on this conversation (marketing authorizations may be scoped to one). */
  @ApiProperty({ type: [String], example: ['vip'] })
  labels: string[];
  /** Hosted chats are not end-to-end encrypted: Custody holds them. */
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}

export class MessageDto {
  /** The network's message id. */
  @ApiProperty({ example: 'wamid.HBgLMTU1NTAxMDAyMjIVAgARGBI3' })
  id: string;
  /** `inbound` from the customer, `outbound` to the customer. */
  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction: string;
  /** `customer`, `business`, or `system` (Custody's own notices). */
  @ApiProperty({ enum: ['customer', 'business', 'system'] })
  origin: string;
  /** The Cloud API message type (`text`, `template`, `image`, …). */
  @ApiProperty({ example: 'text' })
  type: string;
  /**
   * The Cloud API object of the type, e.g. `{ "body": "…" }` for text. Stored encrypted under the
   * tenant's data key; null when it cannot be decrypted (e.g. its key was destroyed).
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  content: Record<string, unknown> | null;
  /**
   * For image, document, audio and video messages: the media id, valid 30 days after the message;
   * `GET /v1/media/{id}` gives a download URL valid 5 minutes.
   */
  @ApiPropertyOptional({ nullable: true, type: String, example: '4417360284519823' })
  mediaId: string | null;
  /** The message it replies to. */
  @ApiPropertyOptional({ nullable: true, type: String })
  contextMessageId: string | null;
  /** When the network (or the business's send) says it happened. */
  @ApiProperty()
  timestamp: string;
  /** When Custody stored it (kept apart from the network's time). */
  @ApiProperty()
  receivedAt: string;
  /** Computed from the whole status history (`received` for inbound). */
  @ApiProperty({ enum: ['received', 'accepted', 'sent', 'delivered', 'read', 'failed'] })
  status: string;
  /** Hosted chats are not end-to-end encrypted: Custody holds them. */
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}

export class ConversationDetailDto extends ConversationDto {
  /** The latest messages, newest first. */
  @ApiProperty({ type: [MessageDto] })
  messages: MessageDto[];
}

export class ConversationPageDto extends CursorPageDto(ConversationDto) {}

export class StatusHistoryEntryDto {
  /** The status the network reported. */
  @ApiProperty({ enum: ['sent', 'delivered', 'read', 'failed'] })
  status: string;
  /** The network's time for this status. */
  @ApiProperty()
  timestamp: string;
  /** When Custody received it (late and duplicate statuses arrive after the fact). */
  @ApiProperty()
  receivedAt: string;
  /** The network's errors, for `failed`. */
  @ApiPropertyOptional({ nullable: true, type: 'array', items: { type: 'object' } })
  errors: unknown;
}

export class StatusHistoryDto {
  /** The message. */
  @ApiProperty()
  messageId: string;
  /** The message's status computed from the history. */
  @ApiProperty({ enum: ['received', 'accepted', 'sent', 'delivered', 'read', 'failed'] })
  status: string;
  /** Every status received, one per kind. */
  @ApiProperty({ type: [StatusHistoryEntryDto] })
  history: StatusHistoryEntryDto[];
  /** Hosted chats are not end-to-end encrypted: Custody holds them. */
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}

export class SetConversationLabelsDto {
  /** The conversation's labels after the change (replaces them all; at most 20). */
  @ApiProperty({ type: [String], example: ['vip', 'spring-sale'], maxItems: 20 })
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(LABEL_PATTERN, { each: true, message: LABEL_MESSAGE })
  labels: string[];
}

export class ConversationLabelsDto {
  /** The conversation. */
  @ApiProperty({ format: 'uuid' })
  conversationId: string;
  /** Its labels now. */
  @ApiProperty({ type: [String] })
  labels: string[];
}

export class ConversationLabelParamsDto {
  /** The conversation id (another tenant's answers 404). */
  @ApiProperty({ format: 'uuid' })
  @IsString()
  id: string;

  /** The label to remove. */
  @ApiProperty({ example: 'vip' })
  @Matches(LABEL_PATTERN, {
    message: 'label must be 1-64 characters: letters, digits, _ . : - (starting with a letter or digit)',
  })
  label: string;
}
