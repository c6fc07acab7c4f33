import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { BusinessProfilePageDto, BusinessProfileUpdateDto, PhoneNumberPageDto } from '../dtos/business-profile.dto';
import { GraphSuccessDto } from '../dtos/template.dto';
import { BusinessProfileService, NumberPage } from '../services/business-profile.service';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const GRAPH_ID = /^\d{1,32}$/;

function checkPath(version: string, phoneNumberId: string): void {
  if (!VERSION.test(version)) {
    throw invalidParameter('The version segment must look like v25.0 or v1');
  }
  if (!GRAPH_ID.test(phoneNumberId)) {
    throw invalidParameter('The phone number id must be digits');
  }
}

const VERSION_PARAM = { name: 'version', description: 'Any Graph-style version, e.g. `v25.0`.' };
const NUMBER_PARAM = { name: 'phoneNumberId', description: "One of the caller tenant's business numbers." };

/** The Cloud API's business profile of a number (`/{version}/{phone-number-id}/whatsapp_business_profile`). */
@ApiTags('business profile (Cloud API compatible)')
@Controller()
export class BusinessProfileController {
  constructor(private readonly profiles: BusinessProfileService) {}

  /** The caller's numbers in one of its business accounts (`GET /{version}/{waba-id}/phone_numbers`), by id. */
  @Get(':version/:wabaId/phone_numbers')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "The business account's phone numbers" })
  @ApiParam(VERSION_PARAM)
  @ApiParam({ name: 'wabaId', description: "The caller tenant's business account (WABA) id." })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma-separated phone number fields (`id` always).' })
  @ApiQuery({ name: 'limit', required: false, description: 'Numbers per page, 1 to 100 (default 25).' })
  @ApiQuery({ name: 'after', required: false, description: '`paging.cursors.after` of the previous page.' })
  @ApiQuery({ name: 'before', required: false, description: '`paging.cursors.before` of the next page.' })
  @ApiQuery({
    name: 'filtering',
    required: false,
    description:
      'JSON array of `{"field", "operator": "EQUAL", "value"}` on `account_mode` (every number is `LIVE`) or `is_official_business_account` (none is).',
  })
  @ApiOkResponse({ type: PhoneNumberPageDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse, description: '100 invalid parameter (`sort` is not supported)' })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The account is not one of the caller tenant’s' })
  numbers(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<NumberPage> {
    if (!VERSION.test(version)) {
      throw invalidParameter('The version segment must look like v25.0 or v1');
    }
    if (!GRAPH_ID.test(wabaId)) {
      throw invalidParameter('The business account id must be digits');
    }
    const given: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && typeof value !== 'string') {
        throw invalidParameter(`${name} must be given once`);
      }
      given[name] = value;
    }
    return this.profiles.listNumbers(tenantId, wabaId, given, req.originalUrl);
  }

  @Get(':version/:phoneNumberId/whatsapp_business_profile')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "The number's business profile" })
  @ApiParam(VERSION_PARAM)
  @ApiParam(NUMBER_PARAM)
  @ApiQuery({
    name: 'fields',
    required: false,
    description: 'Comma-separated: about, address, description, email, vertical, websites.',
  })
  @ApiOkResponse({ type: BusinessProfilePageDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The number is not one of the caller tenant’s' })
  get(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @CurrentTenant() tenantId: string,
    @Query('fields') fields?: string,
  ): Promise<BusinessProfilePageDto> {
    checkPath(version, phoneNumberId);
    if (fields !== undefined && typeof fields !== 'string') {
      throw invalidParameter('fields must be given once');
    }
    return this.profiles.getProfile(tenantId, phoneNumberId, fields);
  }

  /** Sets the given fields of the profile (the others stay). */
  @Post(':version/:phoneNumberId/whatsapp_business_profile')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "Update the number's business profile" })
  @ApiParam(VERSION_PARAM)
  @ApiParam(NUMBER_PARAM)
  @ApiBody({ type: BusinessProfileUpdateDto })
  @ApiOkResponse({ type: GraphSuccessDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse, description: '100 invalid parameter, naming the field' })
  @ApiForbiddenResponse({ type: GraphErrorResponse, description: '131031 the tenant is suspended' })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The number is not one of the caller tenant’s' })
  update(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @CurrentTenant() tenantId: string,
    @Body() body: unknown,
  ): Promise<{ success: true }> {
    checkPath(version, phoneNumberId);
    return this.profiles.updateProfile(tenantId, phoneNumberId, body);
  }
}
