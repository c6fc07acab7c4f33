import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { PhoneNumberDto } from '../dtos/business-profile.dto';
import { MediaMetadataDto } from '../dtos/media.dto';
import { TemplateDto } from '../dtos/template.dto';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';
import { GraphNodeService } from '../services/graph-node.service';
import { MediaMetadata } from '../services/media.service';
import { TemplateView } from '../services/template.service';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const GRAPH_ID = /^\d{1,32}$/;

/**
 * Graph objects read by id, `GET /{version}/{id}`: a message template or a media object. The route
 * is written `v:version/…` so that it only takes versioned Graph paths (never `/health/ready`);
 * ingest's own `/v1/…` routes are registered first and keep theirs.
 */
@ApiTags('graph objects (Cloud API compatible)')
@ApiExtraModels(MediaMetadataDto, TemplateDto, PhoneNumberDto)
@Controller()
export class GraphNodeController {
  constructor(private readonly nodes: GraphNodeService) {}

  /**
   * One of the caller's phone numbers (`GET /{phone-number-id}`), a template (`GET /{template-id}`),
   * or a media's type, hash, size and a download URL valid for 5 minutes.
   */
  @Get('v:version/:id')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'A phone number, a message template, or media metadata and download URL' })
  @ApiParam({ name: 'version', description: 'The version after `v`, e.g. `25.0`.' })
  @ApiParam({ name: 'id', description: 'A phone number id, a template id or a media id.' })
  @ApiQuery({
    name: 'phone_number_id',
    required: false,
    description: 'Media: fails unless this number owns the media.',
  })
  @ApiQuery({
    name: 'fields',
    required: false,
    description: 'Numbers and templates: comma-separated fields (`id` always).',
  })
  @ApiOkResponse({
    schema: {
      anyOf: [
        { $ref: getSchemaPath(PhoneNumberDto) },
        { $ref: getSchemaPath(TemplateDto) },
        { $ref: getSchemaPath(MediaMetadataDto) },
      ],
    },
  })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  @ApiNotFoundResponse({
    type: GraphErrorResponse,
    description: 'No such object of the caller tenant (or expired media)',
  })
  get(
    @Param('version') version: string,
    @Param('id') id: string,
    @CurrentTenant() tenantId: string,
    @Query('phone_number_id') phoneNumberId?: string,
    @Query('fields') fields?: string,
  ): Promise<MediaMetadata | Partial<TemplateView> | Record<string, unknown>> {
    if (!VERSION.test(`v${version}`)) {
      throw invalidParameter('The version segment must look like v25.0 or v1');
    }
    if (!GRAPH_ID.test(id)) {
      throw invalidParameter('The id must be digits');
    }
    if (phoneNumberId !== undefined && (typeof phoneNumberId !== 'string' || !GRAPH_ID.test(phoneNumberId))) {
      throw invalidParameter('The phone_number_id must be digits');
    }
    if (fields !== undefined && typeof fields !== 'string') {
      throw invalidParameter('fields must be given once');
    }
    return this.nodes.get(tenantId, `v${version}`, id, { phoneNumberId, fields });
  }
}
