import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  ConversationDetailDto,
  ConversationLabelParamsDto,
  ConversationLabelsDto,
  ConversationPageDto,
  ConversationQueryDto,
  ListConversationsQueryDto,
  SetConversationLabelsDto,
  StatusHistoryDto,
} from '../dtos/conversation.dto';
import { ConversationService } from '../services/conversation.service';

@ApiTags('conversations')
@Controller('v1')
export class ConversationController {
  constructor(private readonly conversations: ConversationService) {}

  /** The tenant's hosted conversations, most recent first. Every one is marked not end-to-end encrypted. */
  @Get('conversations')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'List conversations (cursor-paginated; filter by customer, time, status)' })
  list(@CurrentTenant() tenantId: string, @Query() query: ListConversationsQueryDto): Promise<ConversationPageDto> {
    return this.conversations.list(tenantId, query);
  }

  @Get('conversations/:id')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'One conversation with its most recent messages' })
  @ApiParam({ name: 'id', description: "The conversation id (another tenant's answers 404)." })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(
    @CurrentTenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: ConversationQueryDto,
  ): Promise<ConversationDetailDto> {
    return this.conversations.get(tenantId, id, query.messages);
  }

  /**
   * Replaces the conversation's labels. A marketing authorization with scope `label` covers the
   * conversations carrying its label, from their next stored message on.
   */
  @Put('conversations/:id/labels')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "Set a conversation's labels" })
  @ApiParam({ name: 'id', description: "The conversation id (another tenant's answers 404)." })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  setLabels(
    @CurrentTenant() tenantId: string,
    @Param('id') id: string,
    @Body() dto: SetConversationLabelsDto,
  ): Promise<ConversationLabelsDto> {
    return this.conversations.setLabels(tenantId, id, dto.labels);
  }

  @Delete('conversations/:id/labels/:label')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'Remove a label from a conversation' })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  removeLabel(
    @CurrentTenant() tenantId: string,
    @Param() params: ConversationLabelParamsDto,
  ): Promise<ConversationLabelsDto> {
    return this.conversations.removeLabel(tenantId, params.id, params.label);
  }

  @Get('messages/:id/statuses')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "A message's status history (network time and arrival time)" })
  @ApiParam({ name: 'id', description: "The message id (`wamid.…`; another tenant's answers 404)." })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  statuses(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<StatusHistoryDto> {
    return this.conversations.statuses(tenantId, id);
  }
}
