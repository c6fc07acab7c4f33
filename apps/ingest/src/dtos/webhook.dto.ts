import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsIn, IsOptional, IsString, IsUrl, Length, Matches } from 'class-validator';
import { CursorPageDto, PageLimit } from '@custody/platform';

export class SetWebhookDto {
  /** The tenant's endpoint; Custody verifies it with the Cloud API handshake before using it. */
  @ApiProperty({ example: 'https://acme.example/whatsapp/webhook' })
  @IsUrl({ require_protocol: true, protocols: ['https', 'http'], require_tld: false })
  url: string;

  /** Echoed as `hub.verify_token` in the handshake, so the endpoint knows it is Custody asking. */
  @ApiProperty({ example: 'my-verify-token' })
  @IsString()
  @Length(1, 200)
  verifyToken: string;
}

export class WebhookConfigDto {
  /** Where webhooks are POSTed; null when none is set. */
  @ApiPropertyOptional({ nullable: true, type: String })
  url: string | null;

  /** `operator` (set at tenant creation) or `tenant` (set and verified through this API). */
  @ApiProperty({ enum: ['operator', 'tenant'] })
  source: string;

  /** When the handshake succeeded (null for a URL set by the operator). */
  @ApiPropertyOptional({ nullable: true, type: String })
  verifiedAt: string | null;

  /** Whether webhooks are sent: false after `DELETE /{waba-id}/subscribed_apps`, until a `POST` there. */
  @ApiProperty()
  subscribed: boolean;
}

export class ListDeliveriesQueryDto {
  /** Only deliveries in this state. */
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'expired'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'expired'])
  state?: 'pending' | 'delivered' | 'expired';

  /** Page size, newest first. */
  @PageLimit(500, 50)
  limit?: number;

  /** Deliveries older than this id (the previous page's `nextCursor`). */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor must be a cursor returned by a previous page' })
  cursor?: string;
}

export class DeliveryDto {
  /** The delivery's id. */
  @ApiProperty()
  id: string;
  /** The message id, or `<message id>:<status>` for a status. */
  @ApiProperty()
  eventId: string;
  /** An inbound message or a status. */
  @ApiProperty({ enum: ['message', 'status'] })
  kind: string;
  /** `pending` (will be retried), `delivered`, or `expired` (retried past the horizon). */
  @ApiProperty({ enum: ['pending', 'delivered', 'expired'] })
  state: string;
  /** POSTs made so far. */
  @ApiProperty()
  attempts: number;
  /** When the next POST is due; null unless pending. */
  @ApiPropertyOptional({ nullable: true, type: String })
  nextAttemptAt: string | null;
  /** HTTP status of the last attempt; null when there was no answer. */
  @ApiPropertyOptional({ nullable: true, type: Number })
  lastStatus: number | null;
  /** Why the last attempt failed (status or network error). */
  @ApiPropertyOptional({ nullable: true, type: String })
  lastError: string | null;
  /** When the delivery was queued. */
  @ApiProperty()
  createdAt: string;
  /** When an attempt got a 2xx. */
  @ApiPropertyOptional({ nullable: true, type: String })
  deliveredAt: string | null;
}

export class DeliveryPageDto extends CursorPageDto(DeliveryDto) {}

/** `POST /{waba-id}/subscribed_apps`: empty, or a callback URL for the account with its verify token. */
export class SubscribeAppDto {
  /** Becomes the tenant's webhook URL once it answers the verification handshake. */
  @ApiPropertyOptional({ example: 'https://acme.example/whatsapp/webhook' })
  override_callback_uri?: string;

  /** Echoed as `hub.verify_token` in the handshake; required with `override_callback_uri`. */
  @ApiPropertyOptional({ example: 'my-verify-token' })
  verify_token?: string;
}

export class SubscribedAppDataDto {
  /** A stable id for the tenant's app at Custody. */
  @ApiProperty({ example: '104729384756102' })
  id: string;

  @ApiProperty({ example: 'Custody' })
  name: string;

  /** Custody's public base URL, when configured. */
  @ApiPropertyOptional()
  link?: string;
}

export class SubscribedAppDto {
  @ApiProperty({ type: SubscribedAppDataDto })
  whatsapp_business_api_data: SubscribedAppDataDto;

  /** The webhook URL the tenant set and verified itself (absent for the operator's). */
  @ApiPropertyOptional()
  override_callback_uri?: string;
}

export class SubscribedAppsPageDto {
  /** One app while subscribed, none after unsubscribing. */
  @ApiProperty({ type: [SubscribedAppDto] })
  data: SubscribedAppDto[];
}
