import { Controller, Get, Logger, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal, CurrentTenant, Principal, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { ApiOkContent, badRequest, notFound } from '@custody/platform';
import { TenantRepository } from '../repositories/tenant.repository';
import { ExportService } from '../services/export.service';
import { OperatorAccessService } from '../services/operator-access.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseOptions(after?: string, limit?: string): { after?: string; limit?: number } {
  if (after !== undefined && !UUID.test(after)) {
    throw badRequest('after must be a conversation id (the nextCursor of a previous export, or the last id received)');
  }
  const n = limit === undefined ? undefined : Number(limit);
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1_000_000)) {
    throw badRequest('limit must be an integer between 1 and 1000000');
  }
  return { after, limit: n };
}

const AFTER_QUERY = { name: 'after', required: false, description: 'Resume after this conversation id' };
const LIMIT_QUERY = {
  name: 'limit',
  required: false,
  description: 'At most this many conversations (the last line then carries nextCursor)',
};

@ApiTags('export')
@Controller()
export class ExportController {
  private readonly logger = new Logger(ExportController.name);

  constructor(
    private readonly exports: ExportService,
    private readonly tenants: TenantRepository,
    private readonly access: OperatorAccessService,
  ) {}

  /**
   * All of the caller's conversations with their messages, as JSON Lines (`application/x-ndjson`),
   * streamed. The first line gives the total (for progress); resume an interrupted export with
   * `after` = the id of the last conversation received.
   */
  @Get('v1/exports/conversations')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Export every conversation (JSON Lines, streamed, resumable)' })
  @ApiOkContent(
    'application/x-ndjson',
    'JSON Lines: an `export` line (total), one line per conversation, an `end` line',
  )
  @ApiQuery(AFTER_QUERY)
  @ApiQuery(LIMIT_QUERY)
  async exportOwn(
    @CurrentTenant() tenantId: string,
    @Res() res: Response,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
  ): Promise<void> {
    await this.run(tenantId, res, parseOptions(after, limit));
  }

  /** The same export for an operator offboarding a tenant; recorded in the tenant's operator-access trail. */
  @Get('v1/tenants/:id/export')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: "Export a tenant's conversations (operator; before offboarding)" })
  @ApiParam({ name: 'id', description: 'The tenant to export.' })
  @ApiOkContent(
    'application/x-ndjson',
    'JSON Lines: an `export` line (total), one line per conversation, an `end` line',
  )
  @ApiQuery(AFTER_QUERY)
  @ApiQuery(LIMIT_QUERY)
  async exportTenant(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res() res: Response,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
  ): Promise<void> {
    if (!UUID.test(id) || !(await this.tenants.get(asTenantId(id)))) {
      throw notFound('Tenant');
    }
    const options = parseOptions(after, limit);
    // On the tenant's own trail before a byte of its data leaves (GET /v1/operator-access).
    await this.access.record(id, principal.subject, 'tenant.export', { ...options });
    await this.run(id, res, options);
  }

  private async run(tenantId: string, res: Response, options: { after?: string; limit?: number }): Promise<void> {
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    try {
      await this.exports.stream(asTenantId(tenantId), res, options);
    } catch (error) {
      // Headers are gone: the client sees a missing "end" line and resumes from its last id.
      this.logger.warn({ msg: 'export interrupted', err: error });
    }
    res.end();
  }
}
