import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AD_ACCOUNT_ID_PATTERN } from '@custody/contracts';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiErrorResponse, DomainError } from '@custody/platform';
import { AdsCredentialDto, AdsCredentialListDto, RegisterAdsCredentialDto } from '../dtos/marketing-authorization.dto';
import { AdsCredentialService } from '../services/ads-credential.service';

const AD_ACCOUNT_PARAM = {
  name: 'adAccountId',
  description: 'The ad account, `act_<digits>`.',
  example: 'act_1234567890',
};

function adAccount(id: string): string {
  if (!AD_ACCOUNT_ID_PATTERN.test(id)) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
      'adAccountId must be act_ followed by 1-32 digits',
    ]);
  }
  return id;
}

/**
 * The tenant's ads credentials: the only way to an ads destination. The export calls a
 * destination with the tenant's own token for that ad account, and an authorization is recorded
 * only for an audience or dataset the ads platform shows as that account's.
 */
@ApiTags('marketing authorization')
@ApiServiceUnavailableResponse({
  type: ApiErrorResponse,
  description: 'No ads platform configured, or it did not answer',
})
@Controller('v1/marketing/ads-accounts')
export class AdsCredentialController {
  constructor(private readonly credentials: AdsCredentialService) {}

  /**
   * Registers (or replaces) the tenant's access token for one of its ad accounts. The ads
   * platform must confirm that the token acts for that account; the token is then stored
   * encrypted and never shown again.
   */
  @Put(':adAccountId')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Register the access token of one of your ad accounts' })
  @ApiParam(AD_ACCOUNT_PARAM)
  @ApiOkResponse({ type: AdsCredentialDto })
  @ApiBadRequestResponse({
    type: ApiErrorResponse,
    description: 'Bad input, or the platform refused the token for this account',
  })
  register(
    @CurrentTenant() tenantId: string,
    @Param('adAccountId') adAccountId: string,
    @Body() dto: RegisterAdsCredentialDto,
  ): Promise<AdsCredentialDto> {
    return this.credentials.register(tenantId, adAccount(adAccountId), dto.accessToken);
  }

  @Get()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'The ad accounts you registered a token for (never the tokens)' })
  @ApiOkResponse({ type: AdsCredentialListDto })
  list(@CurrentTenant() tenantId: string): Promise<AdsCredentialListDto> {
    return this.credentials.list(tenantId);
  }

  /** Deletes the token: the export can no longer reach that account's destinations. */
  @Delete(':adAccountId')
  @HttpCode(204)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Delete the access token of an ad account' })
  @ApiParam(AD_ACCOUNT_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async remove(@CurrentTenant() tenantId: string, @Param('adAccountId') adAccountId: string): Promise<void> {
    await this.credentials.remove(tenantId, adAccount(adAccountId));
  }
}
