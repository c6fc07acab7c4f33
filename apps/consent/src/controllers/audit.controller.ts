import {
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  AuditReadInterceptor,
  AuditReadListDto,
  Auth,
  CurrentPrincipal,
  Principal,
  Public,
  Roles,
} from '@custody/auth';
import { AuditReadRepository } from '@custody/database';
import { ApiErrorResponse, ApiOkContent } from '@custody/platform';
import {
  AuditLogListDto,
  AuditWordingListDto,
  CheckpointKeysDto,
  ConsistencyProofDto,
  ConsistencyQueryDto,
  ExportQueryDto,
  InclusionProofDto,
  InclusionQueryDto,
  LogKeysDto,
  PageQueryDto,
  SignedTreeHeadDto,
  TreeHeadListDto,
  TreeHeadListQueryDto,
} from '../dtos/audit.dto';
import { LogKeysRepository } from '../repositories/log-keys.repository';
import { StoredHead } from '../repositories/tree-head.repository';
import { AuditService } from '../services/audit.service';
import { TreeHeadService } from '../services/tree-head.service';

const mapHead = ({ id: _id, ...head }: StoredHead): SignedTreeHeadDto => head;

const TENANT_LOG_PARAM = {
  name: 'tenantId',
  description: "The tenant whose consent log it is (an auditor's token may be limited to one).",
};

/**
 * Read-only access to the verifiable consent log for auditors (tenant-scoped or platform-wide)
 * and for a tenant's own admins. Everything here can be checked offline with `custody-audit`.
 */
@ApiTags('audit')
@Controller('v1/audit')
@UseInterceptors(AuditReadInterceptor)
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly heads: TreeHeadService,
    private readonly keys: LogKeysRepository,
    private readonly reads: AuditReadRepository,
  ) {}

  /** The public keys that sign tree heads (Ed25519 JWKs). Pin them; they verify every head offline. */
  @Get('log-keys')
  @Public()
  @ApiOperation({ summary: 'Public keys of the consent log' })
  logKeys(): LogKeysDto {
    return this.keys.publicJwks();
  }

  /**
   * The C2SP verifier keys of one log's checkpoints (`<origin>+<key id>+<base64>`), with when each
   * signs. Each log's key is derived from the operator's log key, so every log has its own.
   */
  @Get('logs/:tenantId/checkpoint-keys')
  @Public()
  @ApiOperation({ summary: "Verifier keys of a log's checkpoints (C2SP signed-note)" })
  @ApiParam(TENANT_LOG_PARAM)
  checkpointKeys(@Param('tenantId', ParseUUIDPipe) tenantId: string): CheckpointKeysDto {
    return this.audit.checkpointKeys(tenantId);
  }

  @Get('logs')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'The logs the caller may audit' })
  logs(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<AuditLogListDto> {
    return this.audit.logs(principal, query.limit ?? 100, query.cursor);
  }

  @Get('logs/:tenantId/tree-head')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'The latest signed tree head' })
  @ApiParam(TENANT_LOG_PARAM)
  @ApiForbiddenResponse({ type: ApiErrorResponse })
  async treeHead(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<SignedTreeHeadDto> {
    return mapHead(await this.heads.latest(this.audit.tenantFor(principal, tenantId)));
  }

  /**
   * The newest checkpoint (C2SP tlog-checkpoint in a signed note, `text/plain`) with the
   * cosignatures witnesses gave it. This is also `<prefix>/checkpoint` of the tlog-tiles API.
   */
  @Get('logs/:tenantId/checkpoint')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'private, no-cache')
  @ApiOperation({ summary: 'The latest signed checkpoint, with witness cosignatures' })
  @ApiParam(TENANT_LOG_PARAM)
  @ApiOkContent('text/plain', 'A signed note: origin, tree size, root hash, then signature lines')
  checkpoint(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<string> {
    return this.heads.checkpoint(this.audit.tenantFor(principal, tenantId));
  }

  /** Signs the log's current state now. */
  @Post('logs/:tenantId/tree-head')
  @HttpCode(201)
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Sign a tree head now (on demand)' })
  @ApiParam(TENANT_LOG_PARAM)
  async signTreeHead(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<SignedTreeHeadDto> {
    return mapHead(await this.heads.sign(this.audit.tenantFor(principal, tenantId)));
  }

  @Get('logs/:tenantId/tree-heads')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Signed tree heads, newest first, a page at a time' })
  @ApiParam(TENANT_LOG_PARAM)
  async treeHeads(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: TreeHeadListQueryDto,
  ): Promise<TreeHeadListDto> {
    const limit = query.limit ?? 100;
    const rows = await this.heads.list(this.audit.tenantFor(principal, tenantId), limit + 1, query.cursor);
    const page = rows.slice(0, limit);
    return { data: page.map(mapHead), nextCursor: rows.length > limit ? page[page.length - 1].id : null };
  }

  @Get('logs/:tenantId/proofs/inclusion')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Inclusion proof of an entry (by index or eventId) in a tree size' })
  @ApiParam(TENANT_LOG_PARAM)
  inclusion(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: InclusionQueryDto,
  ): Promise<InclusionProofDto> {
    return this.audit.inclusion(this.audit.tenantFor(principal, tenantId), query);
  }

  @Get('logs/:tenantId/proofs/consistency')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Consistency proof between two tree sizes' })
  @ApiParam(TENANT_LOG_PARAM)
  consistency(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: ConsistencyQueryDto,
  ): Promise<ConsistencyProofDto> {
    return this.audit.consistency(this.audit.tenantFor(principal, tenantId), query.first, query.second);
  }

  /**
   * Streams entries [from, to) as JSON Lines (`application/x-ndjson`): `{"index","leafHash","entry"}`
   * per line. Use a signed head's treeSize as `to`, then `custody-audit verify-export`.
   */
  @Get('logs/:tenantId/entries')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Export entries as JSON Lines' })
  @ApiParam(TENANT_LOG_PARAM)
  @ApiOkContent('application/x-ndjson', 'One JSON object per line')
  async entries(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: ExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const lines = this.audit.exportLines(this.audit.tenantFor(principal, tenantId), query.from ?? 0, query.to);
    const first = await lines.next();
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    if (first.done) {
      res.end();
      return;
    }
    try {
      for (let chunk: IteratorResult<string> = first; !chunk.done; chunk = await lines.next()) {
        if (!res.write(chunk.value)) {
          await new Promise<void>((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
        if (res.destroyed) {
          await lines.return(undefined);
          return;
        }
      }
      res.end();
    } catch (error) {
      // Headers are gone: cut the stream so the client sees an incomplete export, not a short valid one.
      res.destroy(error as Error);
    }
  }

  /**
   * C2SP tlog-tiles read API under the prefix `/v1/audit/logs/{tenantId}` (with `…/checkpoint`):
   * `tile/<L>/<N>[.p/<W>]` is a hash tile, `tile/entries/<N>[.p/<W>]` an entry bundle. Tiles never
   * change, so they are cacheable for good; a monitor fetches any proof, or the whole log, with
   * plain GETs.
   */
  @Get('logs/:tenantId/tile/*path')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'A hash tile or entry bundle (C2SP tlog-tiles)' })
  @ApiParam(TENANT_LOG_PARAM)
  @ApiParam({ name: 'path', description: 'e.g. `0/x001/234.p/7` or `entries/000`', type: String })
  @ApiOkContent('application/octet-stream', 'Hashes (32 bytes each) or length-prefixed entries', true)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async tile(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Param('path') path: string[] | string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const segments = Array.isArray(path) ? path : path.split('/');
    const body = await this.audit.tile(this.audit.tenantFor(principal, tenantId), segments);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    return new StreamableFile(body, { type: 'application/octet-stream' });
  }

  /** Who read this log as an auditor, and what: every auditor read of the audit API is recorded. */
  @Get('logs/:tenantId/reads')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Auditor reads of this log, newest first' })
  @ApiParam(TENANT_LOG_PARAM)
  async auditReads(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: TreeHeadListQueryDto,
  ): Promise<AuditReadListDto> {
    const limit = query.limit ?? 100;
    const rows = await this.reads.list(this.audit.tenantFor(principal, tenantId), limit + 1, query.cursor);
    const page = rows.slice(0, limit);
    return {
      data: page.map(({ id: _id, readAt, ...r }) => ({ ...r, readAt: readAt.toISOString() })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }

  /** Every wording version with the canonical content its hash covers. */
  @Get('logs/:tenantId/wordings')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Wording versions (to check the wording hashes entries cite)' })
  @ApiParam(TENANT_LOG_PARAM)
  wordings(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<AuditWordingListDto> {
    return this.audit.wordings(this.audit.tenantFor(principal, tenantId));
  }
}
