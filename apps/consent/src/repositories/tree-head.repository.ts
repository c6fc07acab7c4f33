import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConsentCheckpointEvent, Topics } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import { encodeHash, SignedTreeHead } from '@custody/transparency-log';

interface RawHead {
  id: string;
  tree_size: string;
  root: Buffer;
  signed_at_ms: string;
  key_id: string;
  signature: string;
  checkpoint: string | null;
}

/** A signed head as stored: the JSON head, and the C2SP checkpoint signed with it (null for heads signed before checkpoints existed). */
export interface StoredHead extends SignedTreeHead {
  /** Row id, for cursor paging (newest first). */
  id: string;
  checkpoint: string | null;
}

/** A witness's cosignature of a checkpoint (the signature line, as the witness returned it). */
export interface Cosignature {
  witness: string;
  keyId: string;
  /** Seconds since the epoch, as the cosignature states. */
  cosignedAt: number;
  line: string;
}

const toStored = (origin: string, r: RawHead): StoredHead => ({
  id: r.id,
  origin,
  treeSize: Number(r.tree_size),
  rootHash: encodeHash(r.root),
  timestamp: Number(r.signed_at_ms),
  keyId: r.key_id,
  signature: r.signature,
  checkpoint: r.checkpoint,
});

/** Signed tree heads and checkpoints as published, and witnesses' cosignatures (append-only). */
@Injectable()
export class TreeHeadRepository {
  constructor(private readonly db: TenantDb) {}

  /** Saves a signed head with its checkpoint and, in the same transaction, the outbox row that publishes the checkpoint. */
  save(tenantId: TenantId, head: SignedTreeHead, checkpoint: string): Promise<void> {
    const event: ConsentCheckpointEvent = {
      type: 'consent.checkpoint',
      eventId: randomUUID(),
      tenantId,
      occurredAt: new Date(head.timestamp).toISOString(),
      origin: head.origin,
      treeSize: head.treeSize,
      rootHash: head.rootHash,
      checkpoint,
    };
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(`INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3)`, [
        Topics.ConsentCheckpoints,
        tenantId,
        JSON.stringify(event),
      ]);
      await m.query(
        `INSERT INTO tree_heads (tenant_id, tree_size, root, signed_at_ms, key_id, signature, checkpoint) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          tenantId,
          head.treeSize,
          Buffer.from(head.rootHash, 'base64'),
          head.timestamp,
          head.keyId,
          head.signature,
          checkpoint,
        ],
      );
    });
  }

  /** Newest first; `beforeId` continues after the last row of a previous page. */
  list(tenantId: TenantId, origin: string, limit: number, beforeId?: string): Promise<StoredHead[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: RawHead[] = await m.query(
        `SELECT id, tree_size, root, signed_at_ms, key_id, signature, checkpoint FROM tree_heads
          WHERE tenant_id = $1 AND ($3::bigint IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $2`,
        [tenantId, limit, beforeId ?? null],
      );
      return rows.map((r) => toStored(origin, r));
    });
  }

  /** The newest head that has a checkpoint. */
  async latestCheckpoint(tenantId: TenantId, origin: string): Promise<StoredHead | undefined> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: RawHead[] = await m.query(
        `SELECT id, tree_size, root, signed_at_ms, key_id, signature, checkpoint FROM tree_heads
          WHERE tenant_id = $1 AND checkpoint IS NOT NULL ORDER BY id DESC LIMIT 1`,
        [tenantId],
      );
      return rows[0] && toStored(origin, rows[0]);
    });
  }

  saveCosignatures(tenantId: TenantId, treeSize: number, root: Buffer, cosignatures: Cosignature[]): Promise<void> {
    return this.db.forTenant(tenantId, async (m) => {
      for (const c of cosignatures) {
        await m.query(
          `INSERT INTO checkpoint_cosignatures (tenant_id, tree_size, root, witness, key_id, cosigned_at, line)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [tenantId, treeSize, root, c.witness, c.keyId, c.cosignedAt, c.line],
        );
      }
    });
  }

  /** The newest cosignature of each witness for the checkpoint of (size, root). */
  cosignatures(tenantId: TenantId, treeSize: number, root: Buffer): Promise<Cosignature[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ witness: string; key_id: string; cosigned_at: string; line: string }> = await m.query(
        `SELECT DISTINCT ON (witness, key_id) witness, key_id, cosigned_at, line FROM checkpoint_cosignatures
          WHERE tenant_id = $1 AND tree_size = $2 AND root = $3 ORDER BY witness, key_id, cosigned_at DESC`,
        [tenantId, treeSize, root],
      );
      return rows.map((r) => ({
        witness: r.witness,
        keyId: r.key_id,
        cosignedAt: Number(r.cosigned_at),
        line: r.line,
      }));
    });
  }

  /** The largest tree size each witness has cosigned for this log (where its next proof starts). */
  witnessedSizes(tenantId: TenantId): Promise<Map<string, number>> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ witness: string; size: string }> = await m.query(
        `SELECT witness, max(tree_size) AS size FROM checkpoint_cosignatures WHERE tenant_id = $1 GROUP BY witness`,
        [tenantId],
      );
      return new Map(rows.map((r) => [r.witness, Number(r.size)]));
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
