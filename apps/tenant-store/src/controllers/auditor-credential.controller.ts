import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  AuditorCredentialDto,
  AuditorCredentialListDto,
  CreateAuditorCredentialDto,
  CreatedAuditorCredentialDto,
} from '../dtos/auditor-credential.dto';
import { AuditorCredentialService } from '../services/auditor-credential.service';

/**
 * The operator's auditor credentials: an auditor exchanges one for short-lived `auditor` tokens at
 * `POST /v1/oauth/token`, scoped to the credential's tenant or, without one, to every tenant's
 * consent log. Each credential expires; every read an auditor makes is recorded by the consent service.
 */
@ApiTags('auditor credentials (operator)')
@Controller('v1/auditor-credentials')
export class AuditorCredentialController {
  constructor(private readonly credentials: AuditorCredentialService) {}

  /** Mints a credential; the secret is shown only in this response. */
  @Post()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Mint an auditor credential, for one tenant or platform-wide (operator)' })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  mint(@Body() dto: CreateAuditorCredentialDto): Promise<CreatedAuditorCredentialDto> {
    return this.credentials.mint(dto);
  }

  @Get()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Auditor credentials, newest first (operator)' })
  list(): Promise<AuditorCredentialListDto> {
    return this.credentials.list();
  }

  /** Stops the credential at once; tokens already issued run out on their own (at most the token lifetime). */
  @Post(':clientId/revoke')
  @HttpCode(200)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Revoke an auditor credential (operator)' })
  @ApiParam({ name: 'clientId', description: 'The credential’s client id.' })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  revoke(@Param('clientId') clientId: string): Promise<AuditorCredentialDto> {
    return this.credentials.revoke(clientId);
  }
}
