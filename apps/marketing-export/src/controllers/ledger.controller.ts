import { Controller, Get, Param, ParseUUIDPipe, Query, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  AuditReadInterceptor,
  AuditReadListDto,
  Auth,
  CurrentPrincipal,
  CurrentTenant,
  Principal,
  Roles,
} from '@custody/auth';
import { asTenantId, AuditReadRepository } from '@custody/database';
import { ApiErrorResponse } from '@custody/platform';
import { AuditReadQueryDto, LedgerPageDto, LedgerQueryDto } from '../dtos/ledger.dto';
import { LedgerService } from '../services/ledger.service';

/**
 * The export ledger: every export, suppression, rejection and removal with the consent log entry
 * it was checked against. Tenant admins read their own; auditors read it next to the consent log.
 */
@ApiTags('marketing-export')
@Controller()
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: AuditReadRepository,
  ) {}

  @Get('v1/marketing/ledger')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "The tenant's export ledger, oldest first (cursor paging)" })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  tenantLedger(@CurrentTenant() tenantId: string, @Query() query: LedgerQueryDto): Promise<LedgerPageDto> {
    return this.ledger.page(asTenantId(tenantId), query);
  }

  @Get('v1/audit/marketing/:tenantId/ledger')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @UseInterceptors(AuditReadInterceptor)
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

  /** Who read this tenant's ledger as an auditor, and with which query: every auditor read is recorded. */
  @Get('v1/audit/marketing/:tenantId/reads')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @UseInterceptors(AuditReadInterceptor)
  @ApiOperation({ summary: "Auditor reads of a tenant's export ledger, newest first" })
  @ApiParam({ name: 'tenantId', description: "The tenant: any for a platform-wide auditor, else the caller's own." })
  @ApiForbiddenResponse({ type: ApiErrorResponse, description: "Another tenant's reads, for a tenant's token" })
  async auditReads(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: AuditReadQueryDto,
  ): Promise<AuditReadListDto> {
    const limit = query.limit ?? 100;
    const rows = await this.reads.list(this.ledger.tenantFor(principal, tenantId), limit + 1, query.cursor);
    const page = rows.slice(0, limit);
    return {
      data: page.map(({ id: _id, readAt, ...r }) => ({ ...r, readAt: readAt.toISOString() })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
