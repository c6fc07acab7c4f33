import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { ApiOkContent } from '@custody/platform';
import { MEDIA_MAX_BYTES } from '../domain/media-types';
import { MediaDeleteResponseDto, MediaUploadFormDto, MediaUploadResponseDto } from '../dtos/media.dto';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';
import { MediaService, UploadedFile as MediaFile } from '../services/media.service';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const GRAPH_ID = /^\d{1,32}$/;

function checkVersion(version: string): void {
  if (!VERSION.test(version)) {
    throw invalidParameter('The version segment must look like v25.0 or v1');
  }
}

function checkId(id: string, what: string): void {
  if (!GRAPH_ID.test(id)) {
    throw invalidParameter(`The ${what} must be digits`);
  }
}

/**
 * The Cloud API's media endpoints. The media-id routes are written `v:version/…` so that they
 * only take versioned Graph paths (never `/health/ready`); ingest's own `/v1/…` routes are
 * registered first and keep theirs.
 */
@ApiTags('media (Cloud API compatible)')
@Controller()
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** Uploads media for a business number; kept (sealed under the tenant's key) for 30 days. */
  @Post(':version/:phoneNumberId/media')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: MEDIA_MAX_BYTES, files: 1, fields: 10, parts: 12 } }))
  @ApiOperation({ summary: 'Upload media' })
  @ApiParam({ name: 'version', description: 'Any Graph-style version, e.g. `v25.0`.' })
  @ApiParam({ name: 'phoneNumberId', description: "One of the caller tenant's business numbers." })
  @ApiQuery({
    name: 'messaging_product',
    required: false,
    description: '`whatsapp`, when not given in the form (the Graph API takes either).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: MediaUploadFormDto })
  @ApiOkResponse({ type: MediaUploadResponseDto })
  @ApiBadRequestResponse({
    type: GraphErrorResponse,
    description: '100 invalid parameter; 131053 type or size refused',
  })
  @ApiNotFoundResponse({
    type: GraphErrorResponse,
    description: 'The phone number id is not one of the caller tenant’s',
  })
  @ApiPayloadTooLargeResponse({ type: GraphErrorResponse, description: 'The file is larger than 16 MB' })
  upload(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @CurrentTenant() tenantId: string,
    @Body() fields: Record<string, unknown>,
    @UploadedFile() file?: MediaFile,
    @Query('messaging_product') messagingProduct?: string,
  ): Promise<MediaUploadResponseDto> {
    checkVersion(version);
    checkId(phoneNumberId, 'phone number id');
    // The Graph API takes parameters in the query string too (one published SDK sends messaging_product there).
    const given = messagingProduct !== undefined ? { messaging_product: messagingProduct, ...fields } : fields;
    return this.media.upload(tenantId, phoneNumberId, given ?? {}, file);
  }

  /** The bytes, from the URL `GET /{version}/{media-id}` gave (with the same bearer token). */
  @Get(':version/media/:mediaId/content')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'Download media (the URL from the metadata)' })
  @ApiParam({ name: 'version', description: 'The version the URL was issued under.' })
  @ApiParam({ name: 'mediaId', description: 'The media id.' })
  @ApiQuery({ name: 'token', required: true, description: 'From the URL; valid for 5 minutes.' })
  @ApiOkContent('application/octet-stream', 'The media, with its MIME type as Content-Type', true)
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiUnauthorizedResponse({ type: GraphErrorResponse, description: 'The URL expired or was replaced by a newer one' })
  @ApiNotFoundResponse({ type: GraphErrorResponse })
  async content(
    @Param('version') version: string,
    @Param('mediaId') mediaId: string,
    @CurrentTenant() tenantId: string,
    @Res() res: Response,
    @Query('token') token?: string,
  ): Promise<void> {
    checkVersion(version);
    checkId(mediaId, 'media id');
    const { mimeType, body } = await this.media.content(tenantId, mediaId, token);
    res.setHeader('Content-Type', mimeType);
    res.setHeader('Content-Length', String(body.length));
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).end(body);
  }

  @Delete('v:version/:mediaId')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Delete media' })
  @ApiParam({ name: 'version', description: 'The version after `v`, e.g. `25.0`.' })
  @ApiParam({ name: 'mediaId', description: 'A media id from an upload.' })
  @ApiQuery({ name: 'phone_number_id', required: false, description: 'Fails unless this number owns the media.' })
  @ApiOkResponse({ type: MediaDeleteResponseDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiNotFoundResponse({ type: GraphErrorResponse })
  remove(
    @Param('version') version: string,
    @Param('mediaId') mediaId: string,
    @CurrentTenant() tenantId: string,
    @Query('phone_number_id') phoneNumberId?: string,
  ): Promise<MediaDeleteResponseDto> {
    checkVersion(`v${version}`);
    checkId(mediaId, 'media id');
    if (phoneNumberId !== undefined) {
      checkId(phoneNumberId, 'phone_number_id');
    }
    return this.media.remove(tenantId, mediaId, phoneNumberId);
  }
}
