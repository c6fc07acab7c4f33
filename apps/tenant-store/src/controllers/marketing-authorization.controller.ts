import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal, CurrentTenant, Principal, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  CreateMarketingAuthorizationDto,
  ListMarketingAuthorizationsQueryDto,
  MarketingAuthorizationDto,
  MarketingAuthorizationListDto,
  MarketingAuthorizationVersionsDto,
  UpdateMarketingAuthorizationDto,
} from '../dtos/marketing-authorization.dto';
import { MarketingAuthorizationService } from '../services/marketing-authorization.service';

const AUTHORIZATION_ID_PARAM = { name: 'id', description: "The authorization id (another tenant's answers 404)." };

@ApiTags('marketing authorization')
@Controller('v1/marketing/authorizations')
export class MarketingAuthorizationController {
  constructor(private readonly authorizations: MarketingAuthorizationService) {}

  /**
   * Authorizes the use of the tenant's own hosted chats for its own marketing at one ads
   * destination (version 1). Nothing is authorized until this is called. Repeating the same
   * request returns the existing authorization with 200; a destination has one authorization,
   * changed later with PUT.
   */
  @Post()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Authorize a destination: which data uses, which conversations' })
  @ApiCreatedResponse({ type: MarketingAuthorizationDto, description: 'Version 1 was recorded and published' })
  @ApiOkResponse({
    type: MarketingAuthorizationDto,
    description: 'The same authorization already existed (nothing new recorded)',
  })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'The destination already has a different authorization' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentTenant() tenantId: string,
    @Body() dto: CreateMarketingAuthorizationDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MarketingAuthorizationDto> {
    const { created, authorization } = await this.authorizations.create(tenantId, principal.subject, dto);
    res.status(created ? 201 : 200);
    return authorization;
  }

  @Get()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "The tenant's marketing authorizations (current versions)" })
  list(
    @CurrentTenant() tenantId: string,
    @Query() query: ListMarketingAuthorizationsQueryDto,
  ): Promise<MarketingAuthorizationListDto> {
    return this.authorizations.list(tenantId, query.status);
  }

  @Get(':id')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'One marketing authorization (current version)' })
  @ApiParam(AUTHORIZATION_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<MarketingAuthorizationDto> {
    return this.authorizations.get(tenantId, id);
  }

  /** Every version of the authorization, oldest first: what was authorized, by whom, when. */
  @Get(':id/versions')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "An authorization's log of versions" })
  @ApiParam(AUTHORIZATION_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  versions(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<MarketingAuthorizationVersionsDto> {
    return this.authorizations.versions(tenantId, id);
  }

  /**
   * Records a new version with these terms (and makes a withdrawn authorization active again).
   * Terms equal to the current version's record nothing.
   */
  @Put(':id')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Change an authorization (new version)' })
  @ApiParam(AUTHORIZATION_ID_PARAM)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  update(
    @CurrentPrincipal() principal: Principal,
    @CurrentTenant() tenantId: string,
    @Param('id') id: string,
    @Body() dto: UpdateMarketingAuthorizationDto,
  ): Promise<MarketingAuthorizationDto> {
    return this.authorizations.update(tenantId, principal.subject, id, dto);
  }

  /**
   * Withdraws the authorization (a new version with status `withdrawn`): nothing more is published
   * for the destination, and the export stops using what it had. Withdrawing again changes nothing.
   */
  @Delete(':id')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Withdraw an authorization (new version, status withdrawn)' })
  @ApiParam(AUTHORIZATION_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  withdraw(
    @CurrentPrincipal() principal: Principal,
    @CurrentTenant() tenantId: string,
    @Param('id') id: string,
  ): Promise<MarketingAuthorizationDto> {
    return this.authorizations.withdraw(tenantId, principal.subject, id);
  }
}
