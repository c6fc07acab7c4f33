import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
  validateSync,
  ValidationError,
} from 'class-validator';
import { CustodyMarking, fastCheckFor } from '@custody/contracts';
import { checkContacts, checkInteractive, checkLocation, checkSticker } from '../domain/rich-messages';

export class TextObject {
  /** Up to 4,096 characters. */
  @ApiProperty({ example: 'Your order has shipped.' })
  @IsString()
  @Length(1, 4096)
  body: string;

  /** Ask the client to render a preview of a URL in the body. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  preview_url?: boolean;
}

export class TemplateLanguage {
  /** The template's language and locale. */
  @ApiProperty({ example: 'en_US' })
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'template.language.code must be a language code such as en_US' })
  code: string;

  /** Language policy (the Cloud API's `deterministic`). */
  @ApiPropertyOptional({ example: 'deterministic' })
  @IsOptional()
  @IsString()
  policy?: string;
}

export class TemplateObject {
  /** The approved template's name. */
  @ApiProperty({ example: 'order_update' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'template.name must be lowercase letters, digits and _' })
  name: string;

  /** The language of the template to send. */
  @ApiProperty({ type: TemplateLanguage })
  @ValidateNested()
  @Type(() => TemplateLanguage)
  language: TemplateLanguage;

  /** Header, body and button components with their parameters (Cloud API shape). */
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  components?: Array<Record<string, unknown>>;
}

export class MediaObject {
  /** Where the network fetches the media (http(s)); or give `id`. */
  @ApiPropertyOptional({ example: 'https://example.com/receipt.pdf' })
  @ValidateIf((o: MediaObject) => o.id === undefined)
  @IsUrl(
    { require_protocol: true, protocols: ['https', 'http'], require_tld: false },
    { message: 'media link must be an http(s) URL' },
  )
  link?: string;

  /** The id of media uploaded with `POST /{phone-number-id}/media` by the same tenant (instead of `link`). */
  @ApiPropertyOptional({ example: '1037543291543636' })
  @IsOptional()
  @Matches(/^\d{1,32}$/, { message: 'media id must be digits' })
  id?: string;

  /** Text shown with an image, video or document. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 1024)
  caption?: string;

  /** The file name shown for a document. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 240)
  filename?: string;
}

export class ReactionObject {
  /** The message reacted to. */
  @ApiProperty({ example: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI' })
  @IsString()
  @Length(1, 200)
  message_id: string;

  /** An emoji, or an empty string to remove the reaction. */
  @ApiProperty({ example: '👍' })
  @IsString()
  @Length(0, 16)
  emoji: string;
}

export class ContextObject {
  /** The message this one replies to (quoted in the chat). */
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  message_id: string;
}

export const SENDABLE_TYPES = [
  'text',
  'template',
  'image',
  'document',
  'audio',
  'video',
  'reaction',
  'interactive',
  'location',
  'contacts',
  'sticker',
] as const;
export type SendableType = (typeof SENDABLE_TYPES)[number];

/**
 * The Cloud API send body, or the mark-as-read body (`status: "read"`, `message_id`).
 * Fields the Cloud API defines but Custody does not act on (`biz_opaque_callback_data`,
 * `typing_indicator`) are accepted; anything else is an invalid parameter.
 */
export class SendMessageDto {
  /** Always `whatsapp`. */
  @ApiProperty({ enum: ['whatsapp'] })
  @Equals('whatsapp', { message: 'messaging_product must be "whatsapp"' })
  messaging_product: 'whatsapp';

  /** Only `individual` (groups are not hosted). */
  @ApiPropertyOptional({ enum: ['individual'] })
  @IsOptional()
  @IsIn(['individual'], { message: 'recipient_type must be "individual" (groups are not hosted)' })
  recipient_type?: 'individual';

  /** The customer's phone number (digits, optionally with + and separators). */
  @ApiPropertyOptional({ example: '+1 555 0100 222' })
  @ValidateIf((o: SendMessageDto) => o.status === undefined)
  @Matches(/^\+?[\d\s().-]{6,32}$/, { message: 'to must be a phone number' })
  to?: string;

  /** The message type; its object of the same name carries the content. */
  @ApiPropertyOptional({ enum: SENDABLE_TYPES, default: 'text' })
  @IsOptional()
  @IsIn(SENDABLE_TYPES, { message: `type must be one of ${SENDABLE_TYPES.join(', ')}` })
  type?: SendableType;

  /** For type `text`. */
  @ApiPropertyOptional({ type: TextObject })
  @ValidateIf((o: SendMessageDto) => o.status === undefined && (o.type ?? 'text') === 'text')
  @ValidateNested()
  @Type(() => TextObject)
  text?: TextObject;

  /** For type `template` (allowed outside the 24-hour window). */
  @ApiPropertyOptional({ type: TemplateObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'template')
  @ValidateNested()
  @Type(() => TemplateObject)
  template?: TemplateObject;

  /** For type `image`. */
  @ApiPropertyOptional({ type: MediaObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'image')
  @ValidateNested()
  @Type(() => MediaObject)
  image?: MediaObject;

  /** For type `document`. */
  @ApiPropertyOptional({ type: MediaObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'document')
  @ValidateNested()
  @Type(() => MediaObject)
  document?: MediaObject;

  /** For type `audio`. */
  @ApiPropertyOptional({ type: MediaObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'audio')
  @ValidateNested()
  @Type(() => MediaObject)
  audio?: MediaObject;

  /** For type `video`. */
  @ApiPropertyOptional({ type: MediaObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'video')
  @ValidateNested()
  @Type(() => MediaObject)
  video?: MediaObject;

  /** For type `reaction`. */
  @ApiPropertyOptional({ type: ReactionObject })
  @ValidateIf((o: SendMessageDto) => o.type === 'reaction')
  @ValidateNested()
  @Type(() => ReactionObject)
  reaction?: ReactionObject;

  /**
   * For type `interactive`: reply buttons (`type: "button"`, 1 to 3) or a list (`type: "list"`, up
   * to 10 sections and 10 rows), with the Cloud API's shapes and limits.
   */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  interactive?: Record<string, unknown>;

  /** For type `location`: `latitude`, `longitude`, optional `name` and `address`. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  location?: Record<string, unknown>;

  /** For type `contacts`: 1 to 20 contact cards (`name.formatted_name` required). */
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  contacts?: Array<Record<string, unknown>>;

  /** For type `sticker`: a `link` to a WebP image. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  sticker?: Record<string, unknown>;

  /** Makes the message a reply. */
  @ApiPropertyOptional({ type: ContextObject })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContextObject)
  context?: ContextObject;

  /** Mark-as-read: `"read"` together with `message_id`. */
  @ApiPropertyOptional({ enum: ['read'] })
  @IsOptional()
  @IsIn(['read'], { message: 'status must be "read"' })
  status?: 'read';

  /** Mark-as-read: the inbound message to mark (with `status`). */
  @ApiPropertyOptional()
  @ValidateIf((o: SendMessageDto) => o.status !== undefined)
  @IsString()
  @Length(1, 200)
  message_id?: string;

  /** Accepted as in the Cloud API; Custody does not act on it. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 512)
  biz_opaque_callback_data?: string;

  /** Accepted as in the Cloud API; Custody does not act on it. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  typing_indicator?: Record<string, unknown>;
}

/** The richer types' shape checks (pure; only for sends of these types). */
const RICH_CHECKS: Partial<Record<string, (value: unknown) => string | undefined>> = {
  interactive: checkInteractive,
  location: checkLocation,
  contacts: checkContacts,
  sticker: checkSticker,
};

const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'document', 'audio', 'video']);

/** Validates a send body; returns the problems as one Cloud-API-style details string. */
export function parseSendBody(body: unknown): { ok: true; dto: SendMessageDto } | { ok: false; details: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, details: 'The request body must be a JSON object' };
  }
  // A well-formed body (nearly every send) takes the compiled check and stays the plain value;
  // anything else gets class-validator's own verdict and messages.
  const wellFormed = fastCheckFor(SendMessageDto)?.(body) === true;
  const dto = wellFormed ? (body as SendMessageDto) : plainToInstance(SendMessageDto, body);
  const errors = wellFormed
    ? []
    : validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  const type = dto.type ?? 'text';
  const problems = errors.flatMap((e) => flatten(e, ''));
  if (dto.status === undefined) {
    for (const other of SENDABLE_TYPES) {
      if (other !== type && (dto as unknown as Record<string, unknown>)[other] !== undefined) {
        problems.push(`${other} must not be given for a message of type ${type}`);
      }
    }
  }
  if (problems.length > 0) {
    return { ok: false, details: problems.join('; ') };
  }
  if (dto.status === undefined && (dto as unknown as Record<string, unknown>)[type] === undefined) {
    // `{"type":"text"}` with no `text` (or no type and no text) would deliver an empty message; a
    // `template` send without its object would slip past the 24-hour window.
    return { ok: false, details: `${type} is required for a message of type ${type}` };
  }
  const media = MEDIA_TYPES.has(type) ? ((dto as unknown as Record<string, unknown>)[type] as MediaObject) : undefined;
  if (dto.status === undefined && media?.id !== undefined && media.link !== undefined) {
    return { ok: false, details: `${type}: give a link or an id, not both` };
  }
  const richCheck = dto.status === undefined ? RICH_CHECKS[type] : undefined;
  const richProblem = richCheck?.((dto as unknown as Record<string, unknown>)[type]);
  if (richProblem) {
    return { ok: false, details: richProblem };
  }
  return { ok: true, dto };
}

function flatten(error: ValidationError, prefix: string): string[] {
  const path = prefix ? `${prefix}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((m) =>
    m.includes('should not exist')
      ? `Unexpected key "${path}"`
      : m.startsWith(error.property)
        ? `${prefix ? prefix + '.' : ''}${m}`
        : m,
  );
  return [...own, ...(error.children ?? []).flatMap((c) => flatten(c, path))];
}

export class ContactDto {
  /** The `to` as the request gave it. */
  @ApiProperty({ example: '+1 555 0100 222' })
  input: string;

  /** The customer's WhatsApp id it resolved to. */
  @ApiProperty({ example: '15550100222' })
  wa_id: string;
}

export class MessageIdDto {
  /** The message id (`wamid.…`); statuses and the stored message carry it. */
  @ApiProperty({ example: 'wamid.HBgLMTU1NTAxMDAyMjIVAgARGBI3' })
  id: string;
}

export class SendMessageResponseDto {
  /** Always `whatsapp`. */
  @ApiProperty({ enum: ['whatsapp'] })
  messaging_product: 'whatsapp';

  /** The recipient. */
  @ApiProperty({ type: [ContactDto] })
  contacts: ContactDto[];

  /** The accepted message. */
  @ApiProperty({ type: [MessageIdDto] })
  messages: MessageIdDto[];

  /** Custody's marking: hosted chats are not end-to-end encrypted. */
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}

export class MarkReadResponseDto {
  /** The message was marked as read. */
  @ApiProperty({ example: true })
  success: boolean;
}
