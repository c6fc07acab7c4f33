import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import {
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentTenant, Public, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import { MediaDto } from '../dtos/media.dto';
import { MediaService } from '../services/media.service';

@ApiTags('media')
@Controller('v1/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** A media id's download URL, valid 5 minutes (media ids are valid 30 days after their message). */
  @Get(':id')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'A short-lived download URL for a media id' })
  @ApiParam({ name: 'id', description: "The media id from a stored message's content (another tenant's answers 404)." })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  @ApiGoneResponse({ type: ApiErrorResponse, description: 'The media id has expired (`media_expired`)' })
  get(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<MediaDto> {
    return this.media.get(tenantId, id);
  }

  /** Redirects to the media while the URL is valid; the URL itself is the credential. */
  @Get(':id/download')
  @Public()
  @ApiOperation({ summary: 'Download a media (the URL from GET /v1/media/{id})' })
  @ApiParam({ name: 'id', description: 'The media id the URL was issued for.' })
  @ApiQuery({
    name: 'token',
    required: true,
    description: 'The token of the URL, which is bound to this media id (missing or not genuine answers 404).',
  })
  @ApiResponse({ status: 302, description: 'To the media' })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  @ApiGoneResponse({
    type: ApiErrorResponse,
    description: 'The URL (`url_expired`) or the media id (`media_expired`) has expired',
  })
  async download(
    @Param('id') id: string,
    @Query('token') token: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const link = await this.media.resolveDownload(id, token);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, link);
  }
}
