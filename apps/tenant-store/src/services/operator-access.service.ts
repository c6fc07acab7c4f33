import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { asTenantId, TenantDb } from '@custody/database';
import { currentContext } from '@custody/observability';
import { DomainError } from '@custody/platform';
import { OperatorAccessPageDto, OperatorAccessQueryDto } from '../dtos/operator-access.dto';
import { encodeTimeCursor, parseTimeCursor } from './time-cursor';

interface AccessRow {
  id: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  request_id: string | null;
  at: Date;
}

/**
 * The trail of operators' reads of a tenant's data, which the tenant reads itself. A read is
 * recorded before any data is sent (in its own transaction), so a read that fails half-way is
 * still on record; a read that cannot be recorded does not happen.
 */
@Injectable()
export class OperatorAccessService {
  constructor(private readonly db: TenantDb) {}

  async record(tenant: string, actor: string, action: string, details: Record<string, unknown>): Promise<void> {
    const tenantId = asTenantId(tenant);
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO operator_access_log (id, tenant_id, actor, action, details, request_id) VALUES ($1, $2, $3, $4, $5, $6)`,
        [randomUUID(), tenantId, actor, action, JSON.stringify(details), currentContext()?.requestId ?? null],
      ),
    );
  }

  async list(tenant: string, q: OperatorAccessQueryDto): Promise<OperatorAccessPageDto> {
    const tenantId = asTenantId(tenant);
    const limit = q.limit ?? 50;
    const after = q.cursor === undefined ? undefined : parseTimeCursor(q.cursor);
    if (q.cursor !== undefined && !after) {
      throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        'cursor must be the nextCursor of a previous page',
      ]);
    }
    const rows: AccessRow[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT id, actor, action, details, request_id, at FROM operator_access_log
          WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (at, id) < ($2::timestamptz, $3::uuid))
          ORDER BY at DESC, id DESC LIMIT $4`,
        [tenantId, after?.at ?? null, after?.id ?? null, limit + 1],
      ),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        actor: r.actor,
        action: r.action,
        details: r.details,
        requestId: r.request_id,
        at: r.at.toISOString(),
      })),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.at, last.id) : null,
    };
  }
}
