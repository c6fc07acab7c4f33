import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdsObjectDto, EventsRequestDto, EventsResponseDto, UsersRequestDto, UsersResponseDto } from '../dtos/ads.dto';
import { AdAccount, AdsAuthGuard } from '../guards/ads-auth.guard';
import { AD_ACCOUNT, AdsAccountsService, objectNotAccessible } from '../services/ads-accounts.service';
import { AdsFaultGuard } from '../guards/ads-fault.guard';
import { AdsAudienceService } from '../services/ads-audience.service';
import { AdsDatasetService } from '../services/ads-dataset.service';
import { AdsErrorSubcodes, AdsGraphErrorResponse, invalidParameter } from '../services/ads-graph-error';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const OBJECT_ID = /^\d{1,32}$/;

function checkPath(version: string, id: string): string {
  if (!VERSION.test(version)) {
    throw invalidParameter(
      AdsErrorSubcodes.UnknownObject,
      'Unknown version',
      'The version segment must look like v25.0',
    );
  }
  if (!OBJECT_ID.test(id)) {
    throw invalidParameter(
      AdsErrorSubcodes.UnknownObject,
      'Unknown object',
      'Object ids are digits; this object does not exist or does not support this operation',
      undefined,
      'Unsupported request - the object does not exist or does not support this operation',
    );
  }
  return id;
}

const VERSION_PARAM = { name: 'version', description: 'Any Graph-style version, e.g. `v25.0`.' };

/**
 * Adding and removing audience members: the same body, answer and errors. `@HttpCode(200)` stays
 * on each method, where the OpenAPI plugin reads it.
 */
function MembershipEndpoint(summary: string): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiParam(VERSION_PARAM),
    ApiParam({ name: 'audienceId', description: 'The customer-list audience (digits); created on first use.' }),
    ApiBody({ type: UsersRequestDto }),
    ApiOkResponse({ type: UsersResponseDto }),
    ApiBadRequestResponse({
      type: AdsGraphErrorResponse,
      description: 'Code 100: bad payload or session, more than 10,000 rows, session already ended',
    }),
  );
}

/**
 * The simulated ads platform (Meta-style Marketing API): customer-list audience membership and
 * the Conversions API. Graph errors; `Authorization: Bearer <token of an ad account>` (issued by
 * `POST /ads/_sandbox/ad-accounts/{adAccountId}/tokens`): a token reaches only its own ad
 * account's audiences and datasets.
 */
@ApiTags('ads platform (simulated)')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: AdsGraphErrorResponse, description: 'Code 190: access token missing or wrong' })
@ApiBadRequestResponse({
  type: AdsGraphErrorResponse,
  description: "Code 100, subcode 33: the object is another ad account's (or does not exist), or a bad request",
})
@ApiTooManyRequestsResponse({
  type: AdsGraphErrorResponse,
  description: 'Code 17 (or 4, 613, 80003): rate limited (fault control)',
})
@ApiServiceUnavailableResponse({ type: AdsGraphErrorResponse, description: 'Code 2: down (fault control)' })
@UseGuards(AdsFaultGuard, AdsAuthGuard)
@Controller('ads')
export class AdsController {
  constructor(
    private readonly audiences: AdsAudienceService,
    private readonly datasets: AdsDatasetService,
    private readonly accounts: AdsAccountsService,
  ) {}

  /**
   * An ad account (`act_<digits>`) or an audience or dataset (digits) as the token sees it:
   * `{ id, account_id }`. Another account's object, or one that does not exist, is refused with
   * Graph's code 100, subcode 33 (an unused audience or dataset id becomes the caller's, as on
   * every other call).
   */
  @Get(':version/:objectId')
  @ApiOperation({ summary: 'Read an ad account, audience or dataset (id and owning ad account)' })
  @ApiParam(VERSION_PARAM)
  @ApiParam({ name: 'objectId', description: 'act_<digits>, or the digits of an audience or dataset.' })
  @ApiOkResponse({ type: AdsObjectDto })
  object(
    @Param('version') version: string,
    @Param('objectId') objectId: string,
    @AdAccount() account: string,
  ): AdsObjectDto {
    const accountDigits = AD_ACCOUNT.exec(account)![1];
    const asAccount = AD_ACCOUNT.exec(objectId);
    if (asAccount) {
      checkPath(version, asAccount[1]);
      if (objectId !== account) {
        throw objectNotAccessible(objectId, 'get');
      }
      return { id: objectId, account_id: accountDigits };
    }
    this.accounts.use(account, checkPath(version, objectId), 'get');
    return { id: objectId, account_id: accountDigits };
  }

  @Post(':version/:audienceId/users')
  @HttpCode(200)
  @MembershipEndpoint('Add people to a customer-list audience (≤10,000 hashed rows per call, in an upload session)')
  addUsers(
    @Param('version') version: string,
    @Param('audienceId') audienceId: string,
    @Body() body: unknown,
    @AdAccount() account: string,
  ): UsersResponseDto {
    this.accounts.use(account, checkPath(version, audienceId), 'post');
    return this.audiences.apply('add', audienceId, body);
  }

  @Delete(':version/:audienceId/users')
  @HttpCode(200)
  @MembershipEndpoint('Remove people from a customer-list audience (same body as adding)')
  removeUsers(
    @Param('version') version: string,
    @Param('audienceId') audienceId: string,
    @Body() body: unknown,
    @AdAccount() account: string,
  ): UsersResponseDto {
    this.accounts.use(account, checkPath(version, audienceId), 'delete');
    return this.audiences.apply('remove', audienceId, body);
  }

  @Post(':version/:datasetId/events')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send server events to a dataset (Conversions API; ≤1,000 per request, one bad event rejects all)',
  })
  @ApiParam(VERSION_PARAM)
  @ApiParam({ name: 'datasetId', description: 'The dataset (digits); created on first use.' })
  @ApiBody({ type: EventsRequestDto })
  @ApiOkResponse({ type: EventsResponseDto })
  @ApiBadRequestResponse({
    type: AdsGraphErrorResponse,
    description:
      'Code 100: the whole request is rejected; error_data.event_index and error_data.field name the first bad event',
  })
  events(
    @Param('version') version: string,
    @Param('datasetId') datasetId: string,
    @Body() body: unknown,
    @AdAccount() account: string,
  ): EventsResponseDto {
    this.accounts.use(account, checkPath(version, datasetId), 'post');
    return this.datasets.receive(datasetId, body);
  }
}
