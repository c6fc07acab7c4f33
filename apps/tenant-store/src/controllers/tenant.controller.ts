import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentPrincipal, CurrentTenant, Principal, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  ClientCredentialsDto,
  CreateCredentialDto,
  CreatedTenantResponseDto,
  CreateTenantDto,
  ListTenantsQueryDto,
  TenantPageDto,
  TenantResponseDto,
  OffboardingDto,
  OffboardReportDto,
  OffboardTenantDto,
  UpdateTenantDto,
} from '../dtos/tenant.dto';
import { OffboardingService } from '../services/offboarding.service';

export const RETENTION_LIMITS = 'RETENTION_LIMITS';
import { TenantService } from '../services/tenant.service';

const TENANT_ID_PARAM = { name: 'id', description: 'The tenant id.' };

@ApiTags('tenants (operator)')
@Controller('v1/tenants')
export class TenantController {
  constructor(
    private readonly tenants: TenantService,
    private readonly offboarding: OffboardingService,
    @Inject(RETENTION_LIMITS) private readonly retentionLimits: { min: number; max: number },
  ) {}

  /** Creates a tenant and returns its first client credentials. The secret is shown only here. */
  @Post()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Create a tenant (operator)' })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'Business account or phone number id already taken' })
  create(@Body() dto: CreateTenantDto): Promise<CreatedTenantResponseDto> {
    return this.tenants.create(dto);
  }

  @Get()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'List tenants (operator), cursor-paginated' })
  list(@Query() query: ListTenantsQueryDto): Promise<TenantPageDto> {
    return this.tenants.list(query.limit, query.cursor);
  }

  /** The caller's own tenant. */
  @Get('me')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "The caller's tenant" })
  me(@CurrentTenant() tenantId: string): Promise<TenantResponseDto> {
    return this.tenants.get(tenantId);
  }

  @Get(':id')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Get a tenant (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(@Param('id') id: string): Promise<TenantResponseDto> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: "Change a tenant's retention or throughput (operator)" })
  @ApiParam(TENANT_ID_PARAM)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  update(@Param('id') id: string, @Body() dto: UpdateTenantDto): Promise<TenantResponseDto> {
    return this.tenants.update(id, dto, this.retentionLimits);
  }

  /**
   * Offboards a tenant: tenant-store deletes every row of it and destroys its data keys, then asks
   * ingest, consent and marketing-export to remove theirs (and its audience members at its ads
   * destinations). The answer carries the offboarding with tenant-store's report; the others
   * follow on `GET /v1/tenants/{id}/offboarding`. Export first (`GET /v1/tenants/{id}/export`).
   * Irreversible.
   */
  @Delete(':id')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Offboard a tenant: delete everything of it in every service, destroy its keys (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  offboard(
    @Param('id') id: string,
    @Body() dto: OffboardTenantDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OffboardReportDto> {
    return this.offboarding.offboard(id, dto.confirmBusinessAccountId, principal.subject);
  }

  /**
   * The tenant's latest offboarding: what each service removed (rows per table), whether its
   * audience members are gone from its ads destinations, and the consent log's last root hash.
   * Kept after the tenant is gone, without its id (found by the id you give).
   */
  @Get(':id/offboarding')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: "A tenant's offboarding: each service's report (operator)" })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse, description: 'No offboarding of this tenant id' })
  offboardingStatus(@Param('id') id: string): Promise<OffboardingDto> {
    return this.offboarding.status(id);
  }

  /** A suspended tenant's clients can no longer get tokens; tokens already issued expire on their own. */
  @Post(':id/suspend')
  @HttpCode(200)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Suspend a tenant (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  suspend(@Param('id') id: string): Promise<TenantResponseDto> {
    return this.tenants.setStatus(id, 'suspended');
  }

  @Post(':id/activate')
  @HttpCode(200)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Reactivate a suspended tenant (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  activate(@Param('id') id: string): Promise<TenantResponseDto> {
    return this.tenants.setStatus(id, 'active');
  }

  /** Issues another credential for a tenant, e.g. an `auditor` credential for its auditor. */
  @Post(':id/credentials')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Create another client credential for a tenant (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  addCredential(@Param('id') id: string, @Body() dto: CreateCredentialDto): Promise<ClientCredentialsDto> {
    return this.tenants.addCredential(id, dto);
  }
}
