import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal, Principal, Public, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  AuditLogListDto,
  AuditWordingListDto,
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
import { AuditService } from '../services/audit.service';
import { TreeHeadService } from '../services/tree-head.service';

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
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly heads: TreeHeadService,
    private readonly keys: LogKeysRepository,
  ) {}

  /** The public keys that sign tree heads (Ed25519 JWKs). Pin them; they verify every head offline. */
  @Get('log-keys')
  @Public()
  @ApiOperation({ summary: 'Public keys of the consent log' })
  logKeys(): LogKeysDto {
    return this.keys.publicJwks();
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
  treeHead(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<SignedTreeHeadDto> {
    return this.heads.latest(this.audit.tenantFor(principal, tenantId));
  }

  /** Signs the log's current state now. */
  @Post('logs/:tenantId/tree-head')
  @HttpCode(201)
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Sign a tree head now (on demand)' })
  @ApiParam(TENANT_LOG_PARAM)
  signTreeHead(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
  ): Promise<SignedTreeHeadDto> {
    return this.heads.sign(this.audit.tenantFor(principal, tenantId));
  }

  @Get('logs/:tenantId/tree-heads')
  @Auth(Roles.Auditor, Roles.TenantAdmin)
  @ApiOperation({ summary: 'Signed tree heads, newest first' })
  @ApiParam(TENANT_LOG_PARAM)
  async treeHeads(
    @CurrentPrincipal() principal: Principal,
    @Param('tenantId', ParseUUIDPipe) tenantId: string,
    @Query() query: TreeHeadListQueryDto,
  ): Promise<TreeHeadListDto> {
    return { data: await this.heads.list(this.audit.tenantFor(principal, tenantId), query.limit ?? 100) };
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
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'One JSON object per line' })
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
