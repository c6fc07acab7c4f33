import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { concatMap, from, map, Observable } from 'rxjs';
import { Principal, Roles } from '@custody/auth';
import { asTenantId } from '@custody/database';
import { AuditReadRepository } from '../repositories/audit-read.repository';

/**
 * Records every successful read an auditor makes of a tenant's export ledger (who, which token,
 * which query, when) before the answer is released; the tenant lists them at
 * `GET /v1/audit/marketing/{tenantId}/reads`. The consent service records reads of the consent
 * log the same way, in its own schema.
 */
@Injectable()
export class AuditReadInterceptor implements NestInterceptor {
  constructor(private readonly reads: AuditReadRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = request.principal;
    const tenantId = (request.params as Record<string, string | undefined>).tenantId;
    if (!principal?.roles.includes(Roles.Auditor) || !tenantId) {
      return next.handle();
    }
    const record = () =>
      this.reads.record(asTenantId(tenantId.toLowerCase()), {
        reader: principal.subject,
        tokenId: principal.tokenId ?? null,
        method: request.method,
        route: String((request.route as { path?: string } | undefined)?.path ?? request.path),
        query: { ...(request.query as Record<string, unknown>) },
      });
    return next.handle().pipe(concatMap((value: unknown) => from(record()).pipe(map((): unknown => value))));
  }
}
