import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CursorPageDto } from '@custody/platform';

export class LatestHeadDto {
  @ApiProperty()
  treeSize: number;

  @ApiProperty()
  timestamp: number;
}

export class TenantConsentSummaryDto {
  @ApiProperty({ format: 'uuid' })
  tenantId: string;

  @ApiProperty()
  origin: string;

  /** Entries in the tenant's consent log. */
  @ApiProperty()
  logSize: number;

  @ApiProperty()
  lastAppendAt: string;

  @ApiProperty()
  purposes: number;

  /** Customer × purpose pairs currently granted / revoked. */
  @ApiProperty()
  granted: number;

  @ApiProperty()
  revoked: number;

  /** The newest signed tree head; behind logSize until the scheduler (or an auditor) signs again. */
  @ApiPropertyOptional({ type: LatestHeadDto, nullable: true })
  latestSignedHead: LatestHeadDto | null;
}

export class TenantConsentSummaryPageDto extends CursorPageDto(TenantConsentSummaryDto) {}
