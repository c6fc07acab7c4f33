import { Injectable } from '@nestjs/common';
import { TenantDb } from '@custody/database';

/** Heartbeat rows of the live ingest replicas (platform data, shared by every replica). */
@Injectable()
export class ReplicaRepository {
  constructor(private readonly db: TenantDb) {}

  /** Marks this replica alive and returns how many replicas were seen within `liveSeconds`. */
  async beat(id: string, liveSeconds: number): Promise<number> {
    return this.db.forPlatform(async (m) => {
      await m.query(`INSERT INTO replicas (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET last_seen = now()`, [id]);
      // Rows of replicas that died without saying goodbye are dropped after a while.
      await m.query(`DELETE FROM replicas WHERE last_seen < now() - interval '1 hour'`);
      const rows: Array<{ live: number }> = await m.query(
        `SELECT count(*)::int AS live FROM replicas WHERE last_seen > now() - make_interval(secs => $1)`,
        [liveSeconds],
      );
      return Math.max(1, rows[0]?.live ?? 1);
    });
  }

  async remove(id: string): Promise<void> {
    await this.db.forPlatform((m) => m.query(`DELETE FROM replicas WHERE id = $1`, [id]));
  }
}
