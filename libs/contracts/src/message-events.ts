import { createHash } from 'node:crypto';
import { Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { CustodyMarking } from './custody-marking';
import { EventBase, registerTopicSchema } from './events';
import { CIPHERTEXT_PATTERN, CUSTOMER_REF_PATTERN, GRAPH_ID_PATTERN, WAMID_PATTERN } from './identifiers';
import { Topics } from './topics';

export const MESSAGE_TYPES = [
  'text',
  'template',
  'image',
  'document',
  'audio',
  'video',
  'reaction',
  'interactive',
  'button',
  'location',
  'contacts',
  'sticker',
  'system',
  // A customer's message Custody could not take as sent (media the network could not give):
  // content { type, errors }, delivered as the Cloud API's `unsupported` message.
  'unsupported',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MESSAGE_STATUSES = ['accepted', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * A customer, as every event names one: never by the number in clear. `ref` is the keyed blind
 * index of the WhatsApp id (lookups, joins, Kafka keys, conversation ids); the number itself is
 * only sealed, for the code that must show or dial it (`CustomerIdentity` of @custody/crypto).
 */
export class CustomerRef {
  @Matches(CUSTOMER_REF_PATTERN)
  ref: string;

  /**
   * CIPHERTEXT: the WhatsApp id (digits of the phone number), sealed under the tenant's data key
   * with the tenant, the customer's `ref` and the field `customer_wa_id` as associated data.
   */
  @Matches(CIPHERTEXT_PATTERN)
  waIdCiphertext: string;

  @IsOptional()
  @IsString()
  @Length(0, 200)
  profileName?: string;
}

/** A customer named only by reference (where no consumer must show or dial the number). */
export class CustomerKey {
  @Matches(CUSTOMER_REF_PATTERN)
  ref: string;
}

/** An ad referral (click-to-chat ad) the customer came from. */
export class AdReferral {
  @IsOptional()
  @IsString()
  @Length(0, 500)
  sourceId?: string;

  @IsOptional()
  @IsString()
  @Length(0, 50)
  sourceType?: string;

  /** The ad click id (`ctwa_clid`). */
  @IsOptional()
  @IsString()
  @Length(0, 500)
  ctwaClid?: string;
}

/**
 * One message of a hosted conversation, inbound (customer), outbound (business) or system
 * (Custody's own notices). Its content — the Cloud API object of its type, e.g. `{ body }` for
 * text, `{ link, caption, filename }` for media, a template's parameters — travels only as
 * `contentCiphertext`. `eventId` is the message id, so a replay is a no-op.
 */
export class MessageEvent extends EventBase {
  @IsIn(['message.inbound', 'message.outbound'])
  type: 'message.inbound' | 'message.outbound';

  /** `wamid.`-style id. */
  @Matches(WAMID_PATTERN)
  messageId: string;

  @IsUUID()
  conversationId: string;

  @Matches(GRAPH_ID_PATTERN)
  phoneNumberId: string;

  @ValidateNested()
  @Type(() => CustomerRef)
  customer: CustomerRef;

  @IsIn(['customer', 'business', 'system'])
  origin: 'customer' | 'business' | 'system';

  @IsIn(MESSAGE_TYPES)
  messageType: MessageType;

  /**
   * CIPHERTEXT: the message's whole content object as JSON, sealed as one envelope (AES-256-GCM)
   * where the message entered Custody, under its conversation's key (a `v2` envelope naming the
   * key; `v1`, under the tenant's data key, for messages sealed before conversation keys), with the
   * tenant, the message id and the field `content` as associated data (`messageContentAad` of
   * @custody/crypto). Erasing the customer destroys the conversation's key: every copy of the
   * envelope (topics, dead-letter topic, backups) becomes unreadable.
   * tenant-store stores it as it is; only the code that must read it decrypts it.
   */
  @Matches(CIPHERTEXT_PATTERN)
  contentCiphertext: string;

  @IsOptional()
  @Matches(WAMID_PATTERN)
  contextMessageId?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => AdReferral)
  referral?: AdReferral;

  /** When the network (or the business's send) says it happened; arrival time is recorded apart. */
  @IsISO8601({ strict: true })
  networkTimestamp: string;

  @ValidateNested()
  @Type(() => CustodyMarking)
  custody: CustodyMarking;
}

export class StatusError {
  @IsInt()
  code: number;

  @IsString()
  @Length(0, 500)
  title: string;
}

export const PRICING_TYPES = ['regular', 'free_customer_service', 'free_entry_point'] as const;
export const PRICING_CATEGORIES = [
  'marketing',
  'marketing_lite',
  'utility',
  'authentication',
  'authentication_international',
  'service',
  'referral_conversion',
] as const;

/** The Cloud API's `pricing` of a status (per-message pricing, PMP). */
export class StatusPricing {
  @IsBoolean()
  billable: boolean;

  @IsIn(['PMP', 'CBP'])
  pricingModel: 'PMP' | 'CBP';

  @IsIn(PRICING_TYPES)
  type: (typeof PRICING_TYPES)[number];

  @IsIn(PRICING_CATEGORIES)
  category: (typeof PRICING_CATEGORIES)[number];
}

/** The Cloud API's `conversation` of a status (the older conversation model). */
export class StatusConversation {
  @Matches(/^[A-Za-z0-9_-]{1,128}$/)
  id: string;

  /** Unix seconds, as a string (first status of the conversation only). */
  @IsOptional()
  @Matches(/^\d{9,11}$/)
  expirationTimestamp?: string;

  @IsIn(PRICING_CATEGORIES)
  originType: (typeof PRICING_CATEGORIES)[number];
}

/** A delivery status of an outbound message, as the network reported it (possibly late or twice). */
export class StatusEvent extends EventBase {
  @Equals('message.status')
  type: 'message.status';

  @Matches(WAMID_PATTERN)
  messageId: string;

  @IsUUID()
  conversationId: string;

  @Matches(GRAPH_ID_PATTERN)
  phoneNumberId: string;

  /** The customer the message went to (reference and sealed number; no profile name). */
  @ValidateNested()
  @Type(() => CustomerRef)
  recipient: CustomerRef;

  @IsIn(['sent', 'delivered', 'read', 'failed'])
  status: 'sent' | 'delivered' | 'read' | 'failed';

  @IsISO8601({ strict: true })
  networkTimestamp: string;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => StatusError)
  errors?: StatusError[];

  /** With `sent` (and the network may repeat it on one later status). */
  @IsOptional()
  @ValidateNested()
  @Type(() => StatusPricing)
  pricing?: StatusPricing;

  @IsOptional()
  @ValidateNested()
  @Type(() => StatusConversation)
  conversation?: StatusConversation;

  @ValidateNested()
  @Type(() => CustodyMarking)
  custody: CustodyMarking;
}

/**
 * tenant-store's word that a message or a status is durably stored: ingest delivers webhooks
 * from it. `status` is the message's status after the change (monotonic).
 */
export class StoredEvent extends EventBase {
  @IsIn(['stored.message', 'stored.status'])
  type: 'stored.message' | 'stored.status';

  @IsOptional()
  @ValidateNested()
  @Type(() => MessageEvent)
  message?: MessageEvent;

  @IsOptional()
  @ValidateNested()
  @Type(() => StatusEvent)
  status?: StatusEvent;

  /** Whether this change moved the message's status (duplicates and late statuses do not). */
  @IsOptional()
  @IsIn([true, false])
  advanced?: boolean;
}

registerTopicSchema(Topics.MessagesInbound, MessageEvent);
registerTopicSchema(Topics.MessagesOutbound, MessageEvent);
registerTopicSchema(Topics.MessagesStatus, StatusEvent);
registerTopicSchema(Topics.MessagesStored, StoredEvent);

/**
 * The conversation of one customer with one business number, as a deterministic UUID (so every
 * service derives the same id from the same facts, and replays land in the same conversation).
 * It derives from the customer's reference, which is keyed: without the tenant's customer index
 * key the id cannot be brute-forced back to the number (an id hashed from the number itself could).
 */
export function conversationIdFor(tenantId: string, phoneNumberId: string, customerRef: string): string {
  const hex = createHash('sha256')
    .update(`custody.conversation.v2|${tenantId.toLowerCase()}|${phoneNumberId}|${customerRef}`)
    .digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The message id of Custody's hosted-chat notice in a conversation (one per conversation, so a
 * replay makes the same notice). Known to every service, so statuses of notices can be told
 * apart from the tenant's own messages without a lookup.
 */
export function hostedNoticeMessageId(conversationId: string): string {
  return `wamid.${createHash('sha256').update(`${conversationId}|custody-hosted-notice`).digest('base64url').slice(0, 40)}`;
}
