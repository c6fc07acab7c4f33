import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  ConversationDetailDto,
  ConversationPageDto,
  ConversationQueryDto,
  ListConversationsQueryDto,
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
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(@CurrentTenant() tenantId: string, @Param('id') id: string, @Query() query: ConversationQueryDto): Promise<ConversationDetailDto> {
    return this.conversations.get(tenantId, id, query.messages);
  }

  @Get('messages/:id/statuses')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "A message's status history (network time and arrival time)" })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  statuses(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<StatusHistoryDto> {
    return this.conversations.statuses(tenantId, id);
  }
}
