import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { SubscribedAppsPageDto, SubscribeAppDto } from '../dtos/webhook.dto';
import { GraphSuccessDto } from '../dtos/template.dto';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';
import { SubscribedApp, SubscribedAppsService } from '../services/subscribed-apps.service';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const GRAPH_ID = /^\d{1,32}$/;

function checkPath(version: string, wabaId: string): void {
  if (!VERSION.test(version)) {
    throw invalidParameter('The version segment must look like v25.0 or v1');
  }
  if (!GRAPH_ID.test(wabaId)) {
    throw invalidParameter('The business account id must be digits');
  }
}

const VERSION_PARAM = { name: 'version', description: 'Any Graph-style version, e.g. `v25.0`.' };
const WABA_PARAM = { name: 'wabaId', description: "The caller tenant's business account (WABA) id." };
const UNKNOWN = { type: GraphErrorResponse, description: 'The account is not one of the caller tenant’s' };

/** The Cloud API's webhook subscription of a business account (`/{version}/{waba-id}/subscribed_apps`). */
@ApiTags('webhooks')
@Controller()
export class SubscribedAppsController {
  constructor(private readonly apps: SubscribedAppsService) {}

  /** The subscribed app (the tenant's webhook endpoint), or none when unsubscribed. */
  @Get(':version/:wabaId/subscribed_apps')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'The apps subscribed to the account’s webhooks' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiOkResponse({ type: SubscribedAppsPageDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiNotFoundResponse(UNKNOWN)
  list(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
  ): Promise<{ data: SubscribedApp[] }> {
    checkPath(version, wabaId);
    return this.apps.list(tenantId, wabaId);
  }

  /**
   * Subscribes: webhooks are sent again. With `override_callback_uri` and `verify_token`, the URL
   * is verified by the Cloud API handshake first and becomes the tenant's webhook URL.
   */
  @Post(':version/:wabaId/subscribed_apps')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Subscribe to the account’s webhooks' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiBody({ type: SubscribeAppDto, required: false })
  @ApiOkResponse({ type: GraphSuccessDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse, description: '100: malformed, or the handshake failed' })
  @ApiNotFoundResponse(UNKNOWN)
  subscribe(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
    @Body() body: unknown,
  ): Promise<{ success: true }> {
    checkPath(version, wabaId);
    return this.apps.subscribe(tenantId, wabaId, body);
  }

  /** Unsubscribes: no webhook is sent until the next subscription (messages stay readable through the API). */
  @Delete(':version/:wabaId/subscribed_apps')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Unsubscribe from the account’s webhooks' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiOkResponse({ type: GraphSuccessDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiNotFoundResponse(UNKNOWN)
  unsubscribe(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
  ): Promise<{ success: true }> {
    checkPath(version, wabaId);
    return this.apps.unsubscribe(tenantId, wabaId);
  }
}
