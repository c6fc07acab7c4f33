import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import {
  GraphSuccessDto,
  TemplateCreateDto,
  TemplateCreateResponseDto,
  TemplateEditDto,
  TemplatePageDto,
} from '../dtos/template.dto';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';
import { TemplatePage, TemplateService } from '../services/template.service';

const VERSION = /^v\d{1,3}(\.\d{1,3})?$/;
const GRAPH_ID = /^\d{1,32}$/;

function checkPath(version: string, id: string, what = 'business account id'): void {
  if (!VERSION.test(version)) {
    throw invalidParameter('The version segment must look like v25.0 or v1');
  }
  if (!GRAPH_ID.test(id)) {
    throw invalidParameter(`The ${what} must be digits`);
  }
}

const VERSION_PARAM = { name: 'version', description: 'Any Graph-style version, e.g. `v25.0`.' };
const WABA_PARAM = { name: 'wabaId', description: "The caller tenant's business account (WABA) id." };

/** The Cloud API's message template management (`/{version}/{waba-id}/message_templates`). */
@ApiTags('message templates (Cloud API compatible)')
@Controller()
export class TemplatesController {
  constructor(private readonly templates: TemplateService) {}

  /** The account's templates, in creation order, a page at a time (`paging.next` until the last page). */
  @Get(':version/:wabaId/message_templates')
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'List message templates' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiQuery({ name: 'limit', required: false, description: 'Templates per page, 1 to 100 (default 25).' })
  @ApiQuery({ name: 'after', required: false, description: '`paging.cursors.after` of the previous page.' })
  @ApiQuery({ name: 'before', required: false, description: '`paging.cursors.before` of the next page.' })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma-separated fields to return (`id` always).' })
  @ApiQuery({ name: 'name', required: false, description: 'Only templates of this name.' })
  @ApiQuery({ name: 'status', required: false, description: 'Only templates in this status, e.g. APPROVED.' })
  @ApiQuery({ name: 'category', required: false, description: 'Only MARKETING, UTILITY or AUTHENTICATION ones.' })
  @ApiQuery({ name: 'language', required: false, description: 'Only templates in this language.' })
  @ApiOkResponse({ type: TemplatePageDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse, description: '100 invalid parameter' })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The account is not one of the caller tenant’s' })
  list(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
    @Req() req: Request,
    @Query('limit') limit?: string,
    @Query('after') after?: string,
    @Query('before') before?: string,
    @Query('fields') fields?: string,
    @Query('name') name?: string,
    @Query('status') status?: string,
    @Query('category') category?: string,
    @Query('language') language?: string,
  ): Promise<TemplatePage> {
    checkPath(version, wabaId);
    const query = { limit, after, before, fields, name, status, category, language };
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && typeof value !== 'string') {
        throw invalidParameter(`${key} must be given once`);
      }
    }
    return this.templates.list(tenantId, wabaId, query, req.originalUrl);
  }

  /** A new template; it is PENDING until the review's verdict (a `message_template_status_update` webhook). */
  @Post(':version/:wabaId/message_templates')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Create a message template (submitted for review)' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiBody({ type: TemplateCreateDto })
  @ApiOkResponse({ type: TemplateCreateResponseDto })
  @ApiBadRequestResponse({
    type: GraphErrorResponse,
    description:
      '100 invalid parameter (the field and the rule in `error_data.details`), or the name exists in that language',
  })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The account is not one of the caller tenant’s' })
  @ApiServiceUnavailableResponse({
    type: GraphErrorResponse,
    description: '2 the template could not be submitted for review (nothing was kept); retry',
  })
  create(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
    @Body() body: unknown,
  ): Promise<TemplateCreateResponseDto> {
    checkPath(version, wabaId);
    return this.templates.create(tenantId, wabaId, body);
  }

  /** Deletes every language of a template name, or with `hsm_id` just that template. */
  /**
   * Edits a template (`POST /{version}/{template-id}`): its components, replaced whole, or the
   * category of one that is not approved. Only APPROVED, REJECTED or PAUSED templates; an approved
   * one once per 24 hours and ten times per 30 days. The template is PENDING until the review's
   * verdict, which comes as a `message_template_status_update` webhook.
   */
  @Post('v:version/:templateId')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Edit a message template' })
  @ApiParam({ name: 'version', description: 'The version after `v`, e.g. `25.0`.' })
  @ApiParam({ name: 'templateId', description: 'The template id (15 digits).' })
  @ApiBody({ type: TemplateEditDto })
  @ApiOkResponse({ type: GraphSuccessDto })
  @ApiBadRequestResponse({
    type: GraphErrorResponse,
    description: '100: malformed, not editable in its status, category of an approved one, or over the edit limits',
  })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'No such template of the caller tenant' })
  @ApiServiceUnavailableResponse({
    type: GraphErrorResponse,
    description: 'The review could not be requested; nothing changed',
  })
  edit(
    @Param('version') version: string,
    @Param('templateId') templateId: string,
    @CurrentTenant() tenantId: string,
    @Body() body: unknown,
  ): Promise<{ success: true }> {
    checkPath(`v${version}`, templateId, 'template id');
    return this.templates.edit(tenantId, templateId, body);
  }

  @Delete(':version/:wabaId/message_templates')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Delete a message template' })
  @ApiParam(VERSION_PARAM)
  @ApiParam(WABA_PARAM)
  @ApiQuery({ name: 'name', required: true, description: 'The template name.' })
  @ApiQuery({ name: 'hsm_id', required: false, description: 'Only the template with this id.' })
  @ApiOkResponse({ type: GraphSuccessDto })
  @ApiBadRequestResponse({ type: GraphErrorResponse, description: '100 invalid parameter, or no such template' })
  @ApiNotFoundResponse({ type: GraphErrorResponse, description: 'The account is not one of the caller tenant’s' })
  remove(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @CurrentTenant() tenantId: string,
    @Query('name') name?: string,
    @Query('hsm_id') hsmId?: string,
  ): Promise<{ success: true }> {
    checkPath(version, wabaId);
    if ((name !== undefined && typeof name !== 'string') || (hsmId !== undefined && typeof hsmId !== 'string')) {
      throw invalidParameter('name and hsm_id must be given once');
    }
    return this.templates.remove(tenantId, wabaId, name, hsmId);
  }
}
