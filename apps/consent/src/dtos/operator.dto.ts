import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CursorPageDto } from '@custody/platform';

export class LatestHeadDto {
  /** Entries the head covers. */
  @ApiProperty()
  treeSize: number;

  /** When it was signed (ms since the epoch). */
  @ApiProperty()
  timestamp: number;
}

export class TenantConsentSummaryDto {
  /** The tenant. */
  @ApiProperty({ format: 'uuid' })
  tenantId: string;

  /** The log's name: `<CONSENT_LOG_ORIGIN>/<tenantId>`. */
  @ApiProperty()
  origin: string;

  /** Entries in the tenant's consent log. */
  @ApiProperty()
  logSize: number;

  /** When the log last changed. */
  @ApiProperty()
  lastAppendAt: string;

  /** Purposes the tenant has defined. */
  @ApiProperty()
  purposes: number;

  /** Customer × purpose pairs currently granted / revoked. */
  @ApiProperty()
  granted: number;

  /** Customer × purpose pairs currently revoked. */
  @ApiProperty()
  revoked: number;

  /** The newest signed tree head; behind logSize until the scheduler (or an auditor) signs again. */
  @ApiPropertyOptional({ type: LatestHeadDto, nullable: true })
  latestSignedHead: LatestHeadDto | null;
}

export class TenantConsentSummaryPageDto extends CursorPageDto(TenantConsentSummaryDto) {}
