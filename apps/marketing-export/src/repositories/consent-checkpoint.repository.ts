import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';

export interface KnownCheckpoint {
  treeSize: number;
  rootHash: string;
}

/** The consent log's checkpoints the export has learnt, per tenant. */
@Injectable()
export class ConsentCheckpointRepository {
  constructor(private readonly db: TenantDb) {}

  save(tenantId: TenantId, checkpoints: KnownCheckpoint[]): Promise<void> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO consent_checkpoints (tenant_id, tree_size, root_hash)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
        [tenantId, checkpoints.map((c) => c.treeSize), checkpoints.map((c) => c.rootHash)],
      );
    });
  }

  /** For each leaf index, the smallest known checkpoint that contains it (one query for a page). */
  async firstCovering(tenantId: TenantId, indices: number[]): Promise<Map<number, KnownCheckpoint>> {
    if (indices.length === 0) {
      return new Map();
    }
    const unique = [...new Set(indices)];
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ idx: string; tree_size: string; root_hash: string }> = await m.query(
        `SELECT i.idx, c.tree_size, c.root_hash FROM unnest($2::bigint[]) AS i(idx)
           CROSS JOIN LATERAL (SELECT tree_size, root_hash FROM consent_checkpoints
                                WHERE tenant_id = $1 AND tree_size > i.idx ORDER BY tree_size LIMIT 1) c`,
        [tenantId, unique],
      );
      return new Map(rows.map((r) => [Number(r.idx), { treeSize: Number(r.tree_size), rootHash: r.root_hash }]));
    });
  }
}
