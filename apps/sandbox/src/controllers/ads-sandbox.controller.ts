import {
  Body,
  Controller,
  DefaultValuePipe,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SandboxEnv } from '../config/sandbox.env';
import { AdAccountTokenDto, FaultDto, FaultStateDto } from '../dtos/ads.dto';
import { bearerToken } from '../guards/ads-auth.guard';
import { AdsAccountsService } from '../services/ads-accounts.service';
import { AdsAudienceService, AudienceView, MemberView } from '../services/ads-audience.service';
import { AdsDatasetService, DatasetView } from '../services/ads-dataset.service';
import { AdsFaultService, FaultState } from '../services/ads-fault.service';
import {
  AdsErrorCodes,
  AdsErrorSubcodes,
  AdsGraphError,
  AdsGraphErrorResponse,
  badParam,
} from '../services/ads-graph-error';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

const MAX_LIMIT = 10_000;

function limitOf(limit: number): number {
  if (limit < 1 || limit > MAX_LIMIT) {
    throw badParam(`limit must be between 1 and ${MAX_LIMIT}`);
  }
  return limit;
}

const AUDIENCE_PARAM = { name: 'audienceId', description: 'The audience id (digits); an unknown one reads as empty.' };

/** Inspection and fault control of the simulated ads platform, for tests and benchmarks. No authentication: demo-only app. */
@ApiTags('ads platform (simulated): inspection and faults')
@Controller('ads/_sandbox')
export class AdsSandboxController {
  constructor(
    private readonly audiences: AdsAudienceService,
    private readonly datasets: AdsDatasetService,
    private readonly faults: AdsFaultService,
    private readonly accounts: AdsAccountsService,
    private readonly env: SandboxEnv,
  ) {}

  /**
   * Issues an access token for an ad account, as a business gets a system-user token for its own
   * ad account from the real platform. Only the sandbox's administrator may: `Authorization:
   * Bearer <SANDBOX_ADS_ACCESS_TOKEN>`. The token then reaches that account's audiences and
   * datasets, and no other account's.
   */
  @Post('ad-accounts/:adAccountId/tokens')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Issue an access token for an ad account (sandbox administrator only)' })
  @ApiParam({ name: 'adAccountId', description: 'act_<digits>; the account exists from its first token on.' })
  @ApiCreatedResponse({ type: AdAccountTokenDto })
  @ApiUnauthorizedResponse({ type: AdsGraphErrorResponse, description: 'Not the administrator token' })
  issueToken(@Param('adAccountId') adAccountId: string, @Req() req: Request): AdAccountTokenDto {
    const token = bearerToken(req);
    if (!token || !timingSafeEqual(digest(token), digest(this.env.SANDBOX_ADS_ACCESS_TOKEN))) {
      throw new AdsGraphError({
        status: 401,
        code: AdsErrorCodes.AccessToken,
        subcode: token ? AdsErrorSubcodes.TokenInvalid : AdsErrorSubcodes.TokenMissing,
        message: 'The sandbox administrator token (SANDBOX_ADS_ACCESS_TOKEN) is required',
        transient: false,
      });
    }
    return this.accounts.issueToken(adAccountId);
  }

  @Get('audiences/:audienceId')
  @ApiOperation({
    summary: 'An audience: member count, members, recent removals, upload sessions, history of adds and removes',
  })
  @ApiParam(AUDIENCE_PARAM)
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'At most this many members, removals, sessions and history entries (default 1000)',
  })
  @ApiOkResponse({ schema: { type: 'object' } })
  audience(
    @Param('audienceId') audienceId: string,
    @Query('limit', new DefaultValuePipe(1000), ParseIntPipe) limit: number,
  ): AudienceView {
    return this.audiences.inspect(audienceId, limitOf(limit));
  }

  @Get('audiences/:audienceId/members/:hash')
  @ApiOperation({ summary: 'Whether a hashed identifier is a member, since when, or when it was removed' })
  @ApiParam(AUDIENCE_PARAM)
  @ApiParam({ name: 'hash', description: 'SHA-256 (hex) of a normalized identifier, e.g. a phone number.' })
  @ApiOkResponse({ schema: { type: 'object' } })
  member(@Param('audienceId') audienceId: string, @Param('hash') hash: string): MemberView {
    return this.audiences.member(audienceId, hash);
  }

  @Get('datasets/:datasetId/events')
  @ApiOperation({ summary: 'The events a dataset accepted (deduplicated), totals and recent rejections' })
  @ApiParam({ name: 'datasetId', description: 'The dataset id (digits); an unknown one reads as empty.' })
  @ApiQuery({ name: 'limit', required: false, description: 'The newest this many events (default 1000)' })
  @ApiQuery({ name: 'event_id', required: false, description: 'Only events with this event_id' })
  @ApiOkResponse({ schema: { type: 'object' } })
  events(
    @Param('datasetId') datasetId: string,
    @Query('limit', new DefaultValuePipe(1000), ParseIntPipe) limit: number,
    @Query('event_id') eventId?: string,
  ): DatasetView {
    return this.datasets.inspect(datasetId, { limit: limitOf(limit), eventId });
  }

  @Get('faults')
  @ApiOperation({ summary: 'The current fault' })
  @ApiOkResponse({ type: FaultStateDto })
  fault(): FaultState {
    return this.faults.current();
  }

  @Post('faults')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Make the ads API fail (down, slow, rate_limit) for a while or some requests, or recover (ok)',
  })
  @ApiOkResponse({ type: FaultStateDto })
  setFault(@Body() dto: FaultDto): FaultState {
    return this.faults.set(dto);
  }

  @Post('reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Forget every audience and dataset and end any fault' })
  @ApiOkResponse({ schema: { type: 'object', properties: { reset: { type: 'boolean' } } } })
  reset(): { reset: boolean } {
    this.audiences.reset();
    this.datasets.reset();
    this.accounts.reset();
    this.faults.set({ mode: 'ok' });
    return { reset: true };
  }
}
