import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ERASURE_SERVICES } from '@custody/contracts';
import { CursorPageDto, PageCursor, PageLimit } from '@custody/platform';

/** Which customer to forget: exactly one of `phoneNumber` or `waId`. */
export class CreateErasureRequestDto {
  /** The customer's phone number in international form; spaces, dashes, dots and a leading `+` are ignored. */
  @ApiPropertyOptional({ example: '+1 555-000 1111' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  phoneNumber?: string;

  /** Or the customer's WhatsApp id (the number's digits, as in webhooks and conversations). */
  @ApiPropertyOptional({ example: '15550001111' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  waId?: string;
}

export class ListErasureRequestsQueryDto {
  /** Only requests in this state (default: both). */
  @ApiPropertyOptional({ enum: ['pending', 'completed'] })
  @IsOptional()
  @IsIn(['pending', 'completed'])
  status?: 'pending' | 'completed';

  @PageLimit(200, 50)
  limit?: number;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @PageCursor(300)
  cursor?: string;
}

export class ErasureServiceStatusDto {
  /** The service that erases and reports. */
  @ApiProperty({ enum: ERASURE_SERVICES })
  service: string;

  /** `pending` until the service reports; `failed` is retried by the service and may still turn into a success. */
  @ApiProperty({ enum: ['pending', 'erased', 'nothing_found', 'failed'] })
  status: string;

  /** What the service erased, by kind (never who). */
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { messages: 12, conversations: 1 },
  })
  counts: Record<string, number> | null;

  /** Why the service failed (no personal data). */
  @ApiPropertyOptional({ nullable: true, type: String })
  error: string | null;

  /** When this service's status last changed (when the request was made, until it reports). */
  @ApiProperty()
  updatedAt: string;
}

/**
 * An erasure request and each service's progress. It never shows the customer's number: Custody
 * keeps it only while the request is pending (encrypted), and forgets it on completion.
 */
export class ErasureRequestDto {
  /** The erasure request id (`GET /v1/erasure-requests/{id}`; `requestId` of erasure events). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** `completed` once every service reported `erased` or `nothing_found`. */
  @ApiProperty({ enum: ['pending', 'completed'] })
  status: string;

  /** On completion: `erased` if any service held something of the customer, else `nothing_found`. */
  @ApiPropertyOptional({ nullable: true, enum: ['erased', 'nothing_found'] })
  outcome: 'erased' | 'nothing_found' | null;

  /** One entry per service, in the order tenant-store, consent, marketing-export. */
  @ApiProperty({ type: [ErasureServiceStatusDto] })
  services: ErasureServiceStatusDto[];

  /** When the request was made. */
  @ApiProperty()
  createdAt: string;

  /** When the last service reported success; null while pending. */
  @ApiPropertyOptional({ nullable: true, type: String })
  completedAt: string | null;
}

export class ErasureRequestPageDto extends CursorPageDto(ErasureRequestDto) {}
