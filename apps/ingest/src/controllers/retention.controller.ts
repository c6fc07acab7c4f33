import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { IngestPurgeReportDto } from '../dtos/retention.dto';
import { IngestRetentionService } from '../services/retention.service';

@ApiTags('retention (operator)')
@Controller('v1/retention')
export class RetentionController {
  constructor(private readonly retention: IngestRetentionService) {}

  /** Runs ingest's retention purge now (it also runs on its own every RETENTION_PURGE_INTERVAL_SECONDS). */
  @Post('purge')
  @HttpCode(200)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Purge ingest’s rows past every tenant’s retention, now' })
  purge(): Promise<IngestPurgeReportDto> {
    return this.retention.purge();
  }

  @Get('last')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'The last purge on this replica' })
  @ApiOkResponse({ type: IngestPurgeReportDto, description: 'The report, or null before the first run' })
  last(): IngestPurgeReportDto | null {
    return this.retention.last;
  }
}
