import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import { OperatorAccessPageDto, OperatorAccessQueryDto } from '../dtos/operator-access.dto';
import { OperatorAccessService } from '../services/operator-access.service';

@ApiTags('tenants')
@Controller('v1/operator-access')
export class OperatorAccessController {
  constructor(private readonly access: OperatorAccessService) {}

  /** Every read of the tenant's data by a platform operator (e.g. an export before offboarding), newest first. */
  @Get()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "Operators' reads of your data (audit trail)" })
  @ApiOkResponse({ type: OperatorAccessPageDto })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  list(@CurrentTenant() tenantId: string, @Query() q: OperatorAccessQueryDto): Promise<OperatorAccessPageDto> {
    return this.access.list(tenantId, q);
  }
}
