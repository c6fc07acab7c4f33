import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { DeliveryPageDto, ListDeliveriesQueryDto, SetWebhookDto, WebhookConfigDto } from '../dtos/webhook.dto';
import { GraphErrorResponse } from '../services/graph-error';
import { WebhookSubscriptionService } from '../services/webhook-subscription.service';

@ApiTags('webhooks')
@Controller('v1/webhook')
export class WebhookController {
  constructor(private readonly subscriptions: WebhookSubscriptionService) {}

  @Get()
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "The tenant's webhook URL" })
  get(@CurrentTenant() tenantId: string): Promise<WebhookConfigDto> {
    return this.subscriptions.get(tenantId);
  }

  /** Sets the webhook URL after the verification handshake (hub.mode, hub.verify_token, hub.challenge). */
  @Put()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Set the webhook URL (verified by handshake)' })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  set(@CurrentTenant() tenantId: string, @Body() dto: SetWebhookDto): Promise<WebhookConfigDto> {
    return this.subscriptions.set(tenantId, dto);
  }

  /** Every delivery with its attempts, last status and next retry, newest first. */
  @Get('deliveries')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'Webhook deliveries and their retries' })
  deliveries(@CurrentTenant() tenantId: string, @Query() query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    return this.subscriptions.deliveries(tenantId, query);
  }
}
