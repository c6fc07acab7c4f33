import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal, CurrentTenant, Principal, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { ApiErrorResponse } from '@custody/platform';
import { LedgerPageDto, LedgerQueryDto } from '../dtos/ledger.dto';
import { LedgerService } from '../services/ledger.service';

/**
 * The export ledger: every export, suppression, rejection and removal with the consent log entry
 * it was checked against. Tenant admins read their own; auditors read it next to the consent log.
 */
@ApiTags('marketing-export')
@Controller()
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get('v1/marketing/ledger')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "The tenant's export ledger, oldest first (cursor paging)" })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  tenantLedger(@CurrentTenant() tenantId: string, @Query() query: LedgerQueryDto): Promise<LedgerPageDto> {
    return this.ledger.page(asTenantId(tenantId), query);
  }

  @Get('v1/audit/marketing/:tenantId/ledger')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: "A tenant's export ledger for auditors (verify each entry against the consent log)" })
  @ApiParam({
    name: 'tenantId',
    description: "The tenant whose ledger to read: any for a platform-wide auditor, else the caller's own.",
  })
  @ApiBadRequestResponse({ type: ApiErrorResponse, description: 'A malformed query, or a tenantId that is not a UUID' })
  @ApiForbiddenResponse({ type: ApiErrorResponse, description: "Another tenant's ledger, for a tenant's token" })
  auditLedger(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: LedgerQueryDto,
  ): Promise<LedgerPageDto> {
    return this.ledger.page(this.ledger.tenantFor(principal, tenantId), query);
  }
}
