import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OFFBOARDING_SERVICES, offboardedTenantHash, OffboardingResultEvent } from '@custody/contracts';
import { TenantDb } from '@custody/database';

export interface OffboardingRow {
  id: string;
  status: 'pending' | 'completed';
  created_at: Date;
  completed_at: Date | null;
}

export interface OffboardingServiceRow {
  service: string;
  status: 'pending' | 'removed' | 'failed';
  tables: Record<string, number> | null;
  effects: Record<string, number> | null;
  log_head: { treeSize: number; root: string } | null;
  error: string | null;
  updated_at: Date;
}

export interface OffboardingWithServices {
  offboarding: OffboardingRow;
  services: OffboardingServiceRow[];
}

/**
 * Offboardings and the services' reports. The rows carry no tenant id (`tenant_hash` instead), so
 * they are not tenant rows: read and written outside any tenant's scope.
 */
@Injectable()
export class OffboardingRepository {
  constructor(private readonly db: TenantDb) {}

  /**
   * Records a new offboarding with every service pending, in the caller's transaction: the one,
   * bound to the tenant, that deleted the tenant's row. The owner's `record_offboarding` writes it
   * (the application role cannot touch the reports) and refuses otherwise.
   */
  async insert(m: EntityManager, row: { id: string; tenantId: string; requestedBy: string }): Promise<void> {
    await m.query(`SELECT record_offboarding($1, $2, $3, $4::text[])`, [
      row.id,
      row.tenantId,
      row.requestedBy,
      [...OFFBOARDING_SERVICES],
    ]);
  }

  /** The newest offboarding of the tenant with this hash. */
  async latest(tenantHash: string): Promise<OffboardingWithServices | null> {
    return this.db.forPlatform(async (m) => {
      const rows: OffboardingRow[] = await m.query(
        `SELECT id, status, created_at, completed_at FROM offboardings WHERE tenant_hash = $1 ORDER BY created_at DESC LIMIT 1`,
        [tenantHash],
      );
      if (!rows[0]) {
        return null;
      }
      const services: OffboardingServiceRow[] = await m.query(
        `SELECT service, status, tables, effects, log_head, error, updated_at FROM offboarding_services WHERE offboarding_id = $1`,
        [rows[0].id],
      );
      return { offboarding: rows[0], services };
    });
  }

  /**
   * Records one service's report. A `removed` report is never replaced (a replay changes nothing);
   * a `failed` one may be followed by `removed`. When every service has removed, the offboarding
   * completes. Returns whether it completed now.
   */
  async applyResult(result: OffboardingResultEvent): Promise<boolean> {
    return this.db.forPlatform(async (m) => {
      // Only a report about the tenant the offboarding is of (its hash) counts.
      await m.query(
        `UPDATE offboarding_services s SET status = $3, tables = $4, effects = $5, log_head = $6, error = $7, updated_at = now()
          FROM offboardings o
          WHERE s.offboarding_id = $1 AND s.service = $2 AND s.status IN ('pending', 'failed')
            AND o.id = s.offboarding_id AND o.tenant_hash = $8`,
        [
          result.offboardingId,
          result.service,
          result.outcome,
          JSON.stringify(result.tables),
          result.effects ? JSON.stringify(result.effects) : null,
          result.logHead ? JSON.stringify(result.logHead) : null,
          result.error ?? null,
          offboardedTenantHash(result.tenantId),
        ],
      );
      const statuses: Array<{ status: string }> = await m.query(
        `SELECT status FROM offboarding_services WHERE offboarding_id = $1 FOR UPDATE`,
        [result.offboardingId],
      );
      if (statuses.length === 0 || !statuses.every((s) => s.status === 'removed')) {
        return false;
      }
      const [, completed]: [unknown, number] = await m.query(
        `UPDATE offboardings SET status = 'completed', completed_at = now() WHERE id = $1 AND status = 'pending'`,
        [result.offboardingId],
      );
      return completed > 0;
    });
  }
}
