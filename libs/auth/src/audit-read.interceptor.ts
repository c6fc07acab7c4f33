import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
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
