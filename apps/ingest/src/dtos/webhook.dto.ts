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
  @ApiPropertyOptional({ nullable: true, type: String })
  url: string | null;

  /** `operator` (set at tenant creation) or `tenant` (set and verified through this API). */
  @ApiProperty({ enum: ['operator', 'tenant'] })
  source: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  verifiedAt: string | null;
}

export class ListDeliveriesQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'expired'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'expired'])
  state?: 'pending' | 'delivered' | 'expired';

  @PageLimit(500, 50)
  limit?: number;

  /** Deliveries older than this id (the previous page's `nextCursor`). */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^\d{1,19}$/)
  cursor?: string;
}

export class DeliveryDto {
  @ApiProperty()
  id: string;
  /** The message id, or `<message id>:<status>` for a status. */
  @ApiProperty()
  eventId: string;
  @ApiProperty({ enum: ['message', 'status'] })
  kind: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'expired'] })
  state: string;
  @ApiProperty()
  attempts: number;
  @ApiPropertyOptional({ nullable: true, type: String })
  nextAttemptAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number })
  lastStatus: number | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  lastError: string | null;
  @ApiProperty()
  createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String })
  deliveredAt: string | null;
}

export class DeliveryPageDto extends CursorPageDto(DeliveryDto) {}
