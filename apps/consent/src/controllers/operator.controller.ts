import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { PageQueryDto } from '../dtos/audit.dto';
import { TenantConsentSummaryPageDto } from '../dtos/operator.dto';
import { OperatorService } from '../services/operator.service';

@ApiTags('consent (operator)')
@Controller('v1/operator/consent')
export class OperatorController {
  constructor(private readonly operator: OperatorService) {}

  /** Every tenant's consent log: size, last append, newest signed head, purposes and consent counts. */
  @Get('logs')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Platform-wide consent log overview (operator)' })
  logs(@Query() query: PageQueryDto): Promise<TenantConsentSummaryPageDto> {
    return this.operator.logs(query.limit ?? 100, query.cursor);
  }
}
