import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';
import { encodeHash, SignedTreeHead } from '@custody/transparency-log';

interface RawHead {
  tree_size: string;
  root: Buffer;
  signed_at_ms: string;
  key_id: string;
  signature: string;
}

const toSigned = (origin: string, r: RawHead): SignedTreeHead => ({
  origin,
  treeSize: Number(r.tree_size),
  rootHash: encodeHash(r.root),
  timestamp: Number(r.signed_at_ms),
  keyId: r.key_id,
  signature: r.signature,
});

/** Signed tree heads as published (append-only). */
@Injectable()
export class TreeHeadRepository {
  constructor(private readonly db: TenantDb) {}

  save(tenantId: TenantId, head: SignedTreeHead): Promise<void> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO tree_heads (tenant_id, tree_size, root, signed_at_ms, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)`,
        [tenantId, head.treeSize, Buffer.from(head.rootHash, 'base64'), head.timestamp, head.keyId, head.signature],
      );
    });
  }

  /** Newest first. */
  list(tenantId: TenantId, origin: string, limit: number, beforeSize?: number): Promise<SignedTreeHead[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: RawHead[] = await m.query(
        `SELECT tree_size, root, signed_at_ms, key_id, signature FROM tree_heads
          WHERE tenant_id = $1 AND ($3::bigint IS NULL OR tree_size < $3)
          ORDER BY id DESC LIMIT $2`,
        [tenantId, limit, beforeSize ?? null],
      );
      return rows.map((r) => toSigned(origin, r));
    });
  }

  /**
   * Platform scan for the scheduler: tenants whose log grew since their last signed head, or
   * whose last head is older than `maxAgeMs`.
   */
  tenantsNeedingHead(nowMs: number, maxAgeMs: number, limit: number): Promise<TenantId[]> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<{ tenant_id: TenantId }> = await m.query(
        `SELECT h.tenant_id FROM log_heads h
           LEFT JOIN LATERAL (SELECT tree_size, signed_at_ms FROM tree_heads t WHERE t.tenant_id = h.tenant_id ORDER BY id DESC LIMIT 1) l ON true
          WHERE l.tree_size IS NULL OR l.tree_size <> h.size OR l.signed_at_ms < $1
          ORDER BY h.tenant_id LIMIT $2`,
        [nowMs - maxAgeMs, limit],
      );
      return rows.map((r) => r.tenant_id);
    });
  }

  /** Serializes scheduler ticks across replicas for the length of `work`, or skips when another holds it. */
  withSchedulerLock(work: () => Promise<void>): Promise<boolean> {
    return this.db.dataSource.transaction(async (m) => {
      const rows: Array<{ locked: boolean }> = await m.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('custody.consent.sth-scheduler')) AS locked`,
      );
      if (!rows[0].locked) {
        return false;
      }
      await work();
      return true;
    });
  }
}
