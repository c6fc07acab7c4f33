import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
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
import { BusinessProfilePageDto, BusinessProfileUpdateDto } from '../dtos/business-profile.dto';
import { GraphSuccessDto } from '../dtos/template.dto';
import { BusinessProfileService } from '../services/business-profile.service';
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
