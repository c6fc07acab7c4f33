import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal, CurrentTenant, Principal, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { ApiErrorResponse } from '@custody/platform';
import {
  CheckQueryDto,
  CheckResponseDto,
  ConsentRecordResponseDto,
  CustomerStateDto,
  HistoryDto,
  HistoryQueryDto,
  RecordConsentDto,
  RecordPromptDto,
  WaIdParamDto,
} from '../dtos/consent.dto';
import { ConsentService, Recorded } from '../services/consent.service';
import { idempotencyKey } from './idempotency-key';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Repeat a request with the same key and it is appended once (the first answer is returned, status 200).',
};

@ApiTags('consent records')
@Controller('v1/consent')
export class ConsentController {
  constructor(private readonly consent: ConsentService) {}

  /** Logs that a customer was shown the current wording of some purposes, e.g. in your opt-in message. */
  @Post('prompts')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Record a prompt shown to a customer' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'Idempotency-Key reused for another request' })
  async prompt(
    @CurrentPrincipal() principal: Principal,
    @CurrentTenant() tenantId: string,
    @Body() dto: RecordPromptDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConsentRecordResponseDto> {
    return respond(
      res,
      await this.consent.recordPrompt(asTenantId(tenantId), dto, {
        actor: principal.subject,
        idempotencyKey: idempotencyKey(key),
      }),
    );
  }

  /** Records a grant (pointing at the prompt that showed the wording) or a revoke, with its evidence. */
  @Post('records')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Record consent given or withdrawn' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'Idempotency-Key reused for another request' })
  async record(
    @CurrentPrincipal() principal: Principal,
    @CurrentTenant() tenantId: string,
    @Body() dto: RecordConsentDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConsentRecordResponseDto> {
    return respond(
      res,
      await this.consent.record(asTenantId(tenantId), dto, {
        actor: principal.subject,
        idempotencyKey: idempotencyKey(key),
      }),
    );
  }

  /** The customer's current state per purpose; `none` means no consent (fail closed). */
  @Get('customers/:waId')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "A customer's current consent" })
  state(@CurrentTenant() tenantId: string, @Param() params: WaIdParamDto): Promise<CustomerStateDto> {
    return this.consent.state(asTenantId(tenantId), params.waId);
  }

  @Get('customers/:waId/history')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: "A customer's consent log entries, oldest first" })
  history(
    @CurrentTenant() tenantId: string,
    @Param() params: WaIdParamDto,
    @Query() query: HistoryQueryDto,
  ): Promise<HistoryDto> {
    return this.consent.history(asTenantId(tenantId), params.waId, query.after ?? -1, query.limit ?? 100);
  }

  /** Whether a data use is allowed for a customer right now: a grant on it or an ancestor, else no. */
  @Get('check')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'Check consent for a data use' })
  check(@CurrentTenant() tenantId: string, @Query() query: CheckQueryDto): Promise<CheckResponseDto> {
    return this.consent.check(asTenantId(tenantId), query.waId, query.dataUse);
  }
}

function respond(res: Response, recorded: Recorded): ConsentRecordResponseDto {
  res.status(recorded.replayed ? 200 : 201);
  if (recorded.replayed) {
    res.setHeader('Idempotent-Replayed', 'true');
  }
  return recorded.record;
}
