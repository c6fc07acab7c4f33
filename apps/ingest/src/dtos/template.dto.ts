import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REJECTION_REASONS, TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from '../domain/templates';

/**
 * A new template, as the Cloud API's `POST /{waba-id}/message_templates` takes it. Components:
 * one `BODY` (`text` up to 1,024 characters; variables `{{1}}`, `{{2}}`… or, with
 * `parameter_format: "named"`, `{{first_name}}`, each with a sample in `example.body_text` /
 * `example.body_text_named_params`), at most one `HEADER` (`format` TEXT with up to 60 characters
 * and one variable, IMAGE, VIDEO, DOCUMENT or LOCATION), one `FOOTER` (up to 60, no variables) and
 * one `BUTTONS` (1 to 10: QUICK_REPLY, URL (may end in `{{1}}`), PHONE_NUMBER, COPY_CODE).
 */
export class TemplateCreateDto {
  /** Lowercase letters, digits and `_`, up to 512 characters; unique per account and language. */
  @ApiProperty({ example: 'order_update' })
  name: string;

  /** The language and locale, e.g. `en_US` or `en`. */
  @ApiProperty({ example: 'en_US' })
  language: string;

  @ApiProperty({ enum: TEMPLATE_CATEGORIES, example: 'UTILITY' })
  category: string;

  /** `positional` (`{{1}}`, the default) or `named` (`{{first_name}}`). */
  @ApiPropertyOptional({ enum: ['positional', 'named'] })
  parameter_format?: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [
      { type: 'BODY', text: 'Your order {{1}} ships on {{2}}.', example: { body_text: [['#1234', 'Monday']] } },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
    ],
  })
  components: Array<Record<string, unknown>>;

  /** Accepted as in the Cloud API; Custody does not act on it. */
  @ApiPropertyOptional()
  allow_category_change?: boolean;

  /** Accepted as in the Cloud API; Custody does not act on it. */
  @ApiPropertyOptional()
  message_send_ttl_seconds?: number;
}

/** An edit of a template (`POST /{template-id}`): at least one of category and components. */
export class TemplateEditDto {
  /** A new category; an approved template keeps its own. */
  @ApiPropertyOptional({ enum: TEMPLATE_CATEGORIES })
  category?: string;

  /** The template's new components, replacing the old ones whole (a BODY among them). */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ type: 'BODY', text: 'Your order {{1}} is on its way.', example: { body_text: [['#1234']] } }],
  })
  components?: Array<Record<string, unknown>>;

  /** Accepted as in the Cloud API; Custody does not act on it. */
  @ApiPropertyOptional()
  message_send_ttl_seconds?: number;
}

export class TemplateCreateResponseDto {
  /** The template id (15 digits). */
  @ApiProperty({ example: '594425479261596' })
  id: string;

  /** Always `PENDING`: the review's verdict arrives as a `message_template_status_update` webhook. */
  @ApiProperty({ enum: TEMPLATE_STATUSES, example: 'PENDING' })
  status: string;

  @ApiProperty({ enum: TEMPLATE_CATEGORIES })
  category: string;
}

/** A template (all fields, or those `fields` asked for; `id` always). */
export class TemplateDto {
  @ApiProperty({ example: '594425479261596' })
  id: string;

  @ApiPropertyOptional({ example: 'order_update' })
  name?: string;

  @ApiPropertyOptional({ example: 'en_US' })
  language?: string;

  @ApiPropertyOptional({ enum: TEMPLATE_STATUSES })
  status?: string;

  @ApiPropertyOptional({ enum: TEMPLATE_CATEGORIES })
  category?: string;

  @ApiPropertyOptional({ enum: ['POSITIONAL', 'NAMED'] })
  parameter_format?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  components?: Array<Record<string, unknown>>;

  /** Why the review rejected it. */
  @ApiPropertyOptional({ enum: REJECTION_REASONS })
  rejected_reason?: string;
}

export class CursorsDto {
  /** The cursor of the first item of the page (pass as `before`). */
  @ApiProperty()
  before: string;

  /** The cursor of the last item of the page (pass as `after`). */
  @ApiProperty()
  after: string;
}

export class PagingDto {
  @ApiProperty({ type: CursorsDto })
  cursors: CursorsDto;

  /** The next page (absent on the last page). */
  @ApiPropertyOptional()
  next?: string;

  /** The previous page (absent on the first page). */
  @ApiPropertyOptional()
  previous?: string;
}

export class TemplatePageDto {
  @ApiProperty({ type: [TemplateDto] })
  data: TemplateDto[];

  /** Absent when the page is empty. */
  @ApiPropertyOptional({ type: PagingDto })
  paging?: PagingDto;
}

export class GraphSuccessDto {
  @ApiProperty({ example: true })
  success: boolean;
}
