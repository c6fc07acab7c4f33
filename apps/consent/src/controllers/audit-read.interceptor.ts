import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { concatMap, from, map, Observable } from 'rxjs';
import { Principal, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { AuditReadRepository } from '../repositories/audit-read.repository';

/**
 * Records every successful read an auditor makes of the audit API (who, which token, which route
 * and query, when) before the answer is released; a tenant sees them at `GET …/reads`. Reads by a
 * tenant's own admins are not auditor reads and are not recorded.
 */
@Injectable()
export class AuditReadInterceptor implements NestInterceptor {
  constructor(private readonly reads: AuditReadRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = request.principal;
    if (!principal?.roles.includes(Roles.Auditor)) {
      return next.handle();
    }
    const tenantParam = (request.params as Record<string, string | undefined>).tenantId ?? principal.tenantId;
    const record = () =>
      this.reads.record(tenantParam ? asTenantId(tenantParam.toLowerCase()) : null, {
        reader: principal.subject,
        tokenId: principal.tokenId ?? null,
        method: request.method,
        route: String((request.route as { path?: string } | undefined)?.path ?? request.path),
        query: { ...(request.query as Record<string, unknown>) },
      });
    return next.handle().pipe(concatMap((value: unknown) => from(record()).pipe(map((): unknown => value))));
  }
}
