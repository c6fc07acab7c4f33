import { ApiProperty } from '@nestjs/swagger';
import { CursorPageDto, PageCursor, PageLimit } from '@custody/platform';

export class OperatorAccessQueryDto {
  /** Page size, newest first. */
  @PageLimit(200, 50)
  limit?: number;

  /** The previous page's `nextCursor`. */
  @PageCursor(300)
  cursor?: string;
}

/** One read of the tenant's data by a platform operator. */
export class OperatorAccessDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** Who read: the operator token's subject (e.g. `operator:<clientId>`). */
  actor: string;

  /** What was read, e.g. `tenant.export` (every conversation with its decrypted messages). */
  @ApiProperty({ example: 'tenant.export' })
  action: string;

  /** The request's parameters (e.g. `after`, `limit` of an export). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;

  /** The request id (also in the platform's logs), when there was one. */
  @ApiProperty({ type: String, nullable: true })
  requestId: string | null;

  at: string;
}

export class OperatorAccessPageDto extends CursorPageDto(OperatorAccessDto) {}
