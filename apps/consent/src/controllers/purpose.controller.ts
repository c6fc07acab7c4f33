import { Body, Controller, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { ApiErrorResponse, notFound } from '@custody/platform';
import {
  CreatePurposeDto,
  OptInPromptInputDto,
  OptInPromptResponseDto,
  PurposeListDto,
  PurposeResponseDto,
  WordingDto,
  WordingInputDto,
} from '../dtos/purpose.dto';
import { PurposeService } from '../services/purpose.service';

@ApiTags('consent purposes')
@Controller('v1/consent')
export class PurposeController {
  constructor(private readonly purposes: PurposeService) {}

  /** Defines a purpose: a key, the data use it gates, optionally its first wording. */
  @Post('purposes')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Define a purpose' })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'The key is taken' })
  create(@CurrentTenant() tenantId: string, @Body() dto: CreatePurposeDto): Promise<PurposeResponseDto> {
    return this.purposes.create(asTenantId(tenantId), dto);
  }

  @Get('purposes')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'List purposes with their wordings' })
  list(@CurrentTenant() tenantId: string): Promise<PurposeListDto> {
    return this.purposes.list(asTenantId(tenantId));
  }

  @Get('purposes/:key')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'A purpose with every wording version' })
  @ApiParam({ name: 'key', description: "The tenant's purpose key." })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(@CurrentTenant() tenantId: string, @Param('key') key: string): Promise<PurposeResponseDto> {
    return this.purposes.get(asTenantId(tenantId), key);
  }

  /**
   * Publishes a wording in a language: a new immutable version (201), or the current version
   * unchanged when the text is identical (200). Consents keep pointing at the version they were given on.
   */
  @Post('purposes/:key/wordings')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Publish a wording version' })
  @ApiParam({ name: 'key', description: "The tenant's purpose key." })
  @ApiCreatedResponse({ type: WordingDto, description: 'A new version of the wording' })
  @ApiOkResponse({
    type: WordingDto,
    description: 'The text is identical to the current version: that version, unchanged',
  })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async addWording(
    @CurrentTenant() tenantId: string,
    @Param('key') key: string,
    @Body() dto: WordingInputDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WordingDto> {
    const { wording, created } = await this.purposes.addWording(asTenantId(tenantId), key, dto);
    res.status(created ? 201 : 200);
    return wording;
  }

  /** Sets which purposes an in-chat START grants (and STOP's confirmation offers again). */
  @Put('opt-in-prompt')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Set the in-chat opt-in prompt' })
  @ApiBadRequestResponse({ type: ApiErrorResponse })
  setOptInPrompt(@CurrentTenant() tenantId: string, @Body() dto: OptInPromptInputDto): Promise<OptInPromptResponseDto> {
    return this.purposes.setOptInPrompt(asTenantId(tenantId), dto);
  }

  @Get('opt-in-prompt')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'The in-chat opt-in prompt' })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async getOptInPrompt(@CurrentTenant() tenantId: string): Promise<OptInPromptResponseDto> {
    const prompt = await this.purposes.getOptInPrompt(asTenantId(tenantId));
    if (!prompt) {
      throw notFound('Opt-in prompt');
    }
    return prompt;
  }
}
