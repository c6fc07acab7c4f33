import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { PurgeReportDto } from '../dtos/tenant.dto';
import { RetentionService } from '../services/retention.service';

@ApiTags('retention (operator)')
@Controller('v1/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  /** Runs the retention purge now (it also runs on its own every RETENTION_PURGE_INTERVAL_SECONDS). */
  @Post('purge')
  @HttpCode(200)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Purge what is past every tenant’s retention, now' })
  purge(): Promise<PurgeReportDto> {
    return this.retention.purge();
  }

  @Get('last')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'The last purge on this replica' })
  last(): PurgeReportDto | null {
    return this.retention.last;
  }
}
