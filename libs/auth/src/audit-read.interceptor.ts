import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Request } from 'express';
import { concatMap, from, map, Observable } from 'rxjs';
import { Principal, Roles } from './roles';

/** One read an auditor made, as the interceptor records it. */
export interface AuditReadRecord {
  reader: string;
  tokenId: string | null;
  method: string;
  route: string;
  query: Record<string, unknown>;
}

/**
 * Where a service keeps its auditors' reads (append-only, in its own schema): provide it with
 * `{ provide: AuditReadLog, useExisting: AuditReadRepository }` (@custody/database).
 */
export abstract class AuditReadLog {
  /** `tenantId` null: a read of no one tenant's data (e.g. the list of logs). */
  abstract record(tenantId: string | null, read: AuditReadRecord): Promise<void>;
}

/**
 * Records every successful read an auditor makes (who, which token, which route and query, when)
 * before the answer is released; the tenant lists them (`GET …/reads` of each audit API). The
 * tenant is the route's `:tenantId`, else the auditor's own. Reads by a tenant's own admins are not
 * auditor reads and are not recorded.
 */
@Injectable()
export class AuditReadInterceptor implements NestInterceptor {
  constructor(private readonly reads: AuditReadLog) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = request.principal;
    if (!principal?.roles.includes(Roles.Auditor)) {
      return next.handle();
    }
    const tenantId = (request.params as Record<string, string | undefined>).tenantId ?? principal.tenantId;
    const record = () =>
      this.reads.record(tenantId ? tenantId.toLowerCase() : null, {
        reader: principal.subject,
        tokenId: principal.tokenId ?? null,
        method: request.method,
        route: String((request.route as { path?: string } | undefined)?.path ?? request.path),
        query: { ...(request.query as Record<string, unknown>) },
      });
    return next.handle().pipe(concatMap((value: unknown) => from(record()).pipe(map((): unknown => value))));
  }
}

// Descriptions are given explicitly: libs are built by tsc, without the Swagger plugin that reads doc comments.
export class AuditReadDto {
  @ApiProperty({
    description:
      "The token subject: `auditor:<client id>` (operator-minted) or `client:<client id>` (a tenant's auditor credential).",
  })
  reader: string;

  @ApiProperty({ type: String, nullable: true, description: "The token's `jti`." })
  tokenId: string | null;

  @ApiProperty()
  method: string;

  @ApiProperty({
    description: 'The route read, e.g. `/v1/audit/logs/:tenantId/entries` or `/v1/audit/marketing/:tenantId/ledger`.',
  })
  route: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Its query parameters (sizes, indices, event ids).',
  })
  query: Record<string, unknown>;

  @ApiProperty()
  readAt: string;
}

export class AuditReadListDto {
  @ApiProperty({ type: [AuditReadDto], description: 'Newest first.' })
  data: AuditReadDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  })
  nextCursor: string | null;
}
