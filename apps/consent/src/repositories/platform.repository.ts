import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';

export interface TenantLogSummary {
  tenantId: TenantId;
  size: number;
  updatedAt: Date;
  purposes: number;
  granted: number;
  revoked: number;
  latestHead: { treeSize: number; timestamp: number } | null;
}

/** Operator and platform-auditor views across tenants (explicit platform transactions only). */
@Injectable()
export class PlatformRepository {
  constructor(private readonly db: TenantDb) {}

  logs(limit: number, afterTenantId?: string): Promise<TenantLogSummary[]> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<{
        tenant_id: TenantId;
        size: string;
        updated_at: Date;
        purposes: number;
        granted: number;
        revoked: number;
        head_size: string | null;
        head_ms: string | null;
      }> = await m.query(
        `SELECT h.tenant_id, h.size, h.updated_at,
                (SELECT count(*)::int FROM purposes p WHERE p.tenant_id = h.tenant_id) AS purposes,
                (SELECT count(*)::int FROM consent_state s WHERE s.tenant_id = h.tenant_id AND s.status = 'granted') AS granted,
                (SELECT count(*)::int FROM consent_state s WHERE s.tenant_id = h.tenant_id AND s.status = 'revoked') AS revoked,
                l.tree_size AS head_size, l.signed_at_ms AS head_ms
           FROM log_heads h
           LEFT JOIN LATERAL (SELECT tree_size, signed_at_ms FROM tree_heads t WHERE t.tenant_id = h.tenant_id ORDER BY id DESC LIMIT 1) l ON true
          WHERE ($2::uuid IS NULL OR h.tenant_id > $2::uuid)
          ORDER BY h.tenant_id LIMIT $1`,
        [limit, afterTenantId ?? null],
      );
      return rows.map((r) => ({
        tenantId: r.tenant_id,
        size: Number(r.size),
        updatedAt: r.updated_at,
        purposes: r.purposes,
        granted: r.granted,
        revoked: r.revoked,
        latestHead: r.head_size === null ? null : { treeSize: Number(r.head_size), timestamp: Number(r.head_ms) },
      }));
    });
  }
}
