import { Injectable } from '@nestjs/common';
import { asTenantId, TenantDb } from './tenant-db';

export interface AuditRead {
  id: string;
  reader: string;
  tokenId: string | null;
  method: string;
  route: string;
  query: Record<string, unknown>;
  readAt: Date;
}

/**
 * Auditors' reads of a service's audit API, append-only, in the service's own `audit_reads` table
 * (consent: reads of consent logs; marketing-export: reads of export ledgers). The AuditReadLog
 * that @custody/auth's AuditReadInterceptor writes to.
 */
@Injectable()
export class AuditReadRepository {
  constructor(private readonly db: TenantDb) {}

  /** `tenantId` null: a read of no one tenant's data (where the table allows it). */
  record(tenantId: string | null, read: Omit<AuditRead, 'id' | 'readAt'>): Promise<void> {
    const insert = (m: { query: (sql: string, params: unknown[]) => Promise<unknown> }) =>
      m.query(
        `INSERT INTO audit_reads (tenant_id, reader, token_id, method, route, query) VALUES ($1, $2, $3, $4, $5, $6)`,
        [tenantId, read.reader, read.tokenId, read.method, read.route, JSON.stringify(read.query)],
      );
    return tenantId
      ? this.db.forTenant(asTenantId(tenantId), async (m) => void (await insert(m)))
      : this.db.forPlatform(async (m) => void (await insert(m)));
  }

  /** Newest first; `beforeId` continues after a previous page. */
  list(tenantId: string, limit: number, beforeId?: string): Promise<AuditRead[]> {
    return this.db.forTenant(asTenantId(tenantId), async (m) => {
      const rows: Array<{
        id: string;
        reader: string;
        token_id: string | null;
        method: string;
        route: string;
        query: Record<string, unknown>;
        read_at: Date;
      }> = await m.query(
        `SELECT id, reader, token_id, method, route, query, read_at FROM audit_reads
          WHERE tenant_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`,
        [tenantId, limit, beforeId ?? null],
      );
      return rows.map((r) => ({
        id: r.id,
        reader: r.reader,
        tokenId: r.token_id,
        method: r.method,
        route: r.route,
        query: r.query,
        readAt: r.read_at,
      }));
    });
  }
}
