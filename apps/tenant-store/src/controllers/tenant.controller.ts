import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  ClientCredentialsDto,
  CreateCredentialDto,
  CreatedTenantResponseDto,
  CreateTenantDto,
  ListTenantsQueryDto,
  TenantPageDto,
  TenantResponseDto,
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
   * Offboards a tenant: deletes every conversation, message and credential of it, then its data
   * keys. Export first (`GET /v1/tenants/{id}/export`). Irreversible.
   */
  @Delete(':id')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Offboard a tenant: delete everything of it, data keys last (operator)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  offboard(@Param('id') id: string, @Body() dto: OffboardTenantDto): Promise<OffboardReportDto> {
    return this.offboarding.offboard(id, dto.confirmBusinessAccountId);
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
