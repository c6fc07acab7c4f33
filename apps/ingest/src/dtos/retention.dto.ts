import { ApiProperty } from '@nestjs/swagger';

/** One run of ingest's retention purge. */
export class IngestPurgeReportDto {
  /** Tenants whose retention ingest knows (each was looked at). */
  @ApiProperty()
  tenants: number;
  /** Webhook deliveries deleted (queued payloads and delivered records). */
  @ApiProperty()
  webhookDeliveries: number;
  /** Webhook attempts deleted. */
  @ApiProperty()
  webhookAttempts: number;
  /** Stored send responses (`Idempotency-Key` replays) deleted. */
  @ApiProperty()
  idempotencyKeys: number;
  /** Uploaded media deleted (past 30 days or the tenant's retention). */
  @ApiProperty()
  media: number;
  /** Ids of customers' messages (kept for mark-as-read) deleted. */
  @ApiProperty()
  inboundMessages: number;
  /** When the run started. */
  @ApiProperty()
  startedAt: string;
  /** When it finished. */
  @ApiProperty()
  finishedAt: string;
}
