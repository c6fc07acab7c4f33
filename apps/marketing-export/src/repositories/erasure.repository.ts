import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { erasureEventKey, ErasureResultEvent, Topics } from '@custody/contracts';
import { enqueueOutbox, TenantId } from '@custody/database';

/** Erasure requests in progress and their completion report on `erasure.results`. */
@Injectable()
export class ErasureRepository {
  /** Registers the request; false when it was already registered (a redelivery). */
  async begin(m: EntityManager, tenantId: TenantId, requestId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO erasure_requests (tenant_id, request_id, status) VALUES ($1, $2, 'pending') ON CONFLICT DO NOTHING RETURNING 1`,
      [tenantId, requestId],
    );
    return rows.length > 0;
  }

  async setCounts(
    m: EntityManager,
    tenantId: TenantId,
    requestId: string,
    counts: Record<string, number>,
  ): Promise<void> {
    await m.query(`UPDATE erasure_requests SET counts = $3 WHERE tenant_id = $1 AND request_id = $2`, [
      tenantId,
      requestId,
      JSON.stringify(counts),
    ]);
  }

  /** Re-publishes the result of a completed request (a redelivered request gets its answer again; consumers dedup by eventId). */
  async republish(m: EntityManager, tenantId: TenantId, requestId: string): Promise<void> {
    const rows: Array<{
      status: string;
      outcome: ErasureResultEvent['outcome'] | null;
      counts: Record<string, number>;
    }> = await m.query(
      `SELECT status, outcome, counts FROM erasure_requests WHERE tenant_id = $1 AND request_id = $2`,
      [tenantId, requestId],
    );
    if (rows[0]?.status === 'completed' && rows[0].outcome) {
      await this.publish(m, tenantId, requestId, rows[0].outcome, rows[0].counts);
    }
  }

  /**
   * Completes the request once no removal of it is still pending at a destination: forgets the
   * member hashes its removals carried and reports `erased` (or `nothing_found` when this service
   * held nothing of the customer, `failed` when a destination refused a removal for good).
   */
  async completeIfDone(m: EntityManager, tenantId: TenantId, requestId: string): Promise<boolean> {
    const open: Array<{ open: number; rejected: number }> = await m.query(
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS open, count(*) FILTER (WHERE status = 'rejected')::int AS rejected
         FROM export_records WHERE tenant_id = $1 AND erasure_request_id = $2`,
      [tenantId, requestId],
    );
    if (open[0].open > 0) {
      return false;
    }
    const rows: Array<{ counts: Record<string, number> }> = await m.query(
      `SELECT counts FROM erasure_requests WHERE tenant_id = $1 AND request_id = $2 AND status = 'pending' FOR UPDATE`,
      [tenantId, requestId],
    );
    if (rows.length === 0) {
      return false;
    }
    const counts = rows[0].counts;
    const outcome: ErasureResultEvent['outcome'] =
      open[0].rejected > 0 ? 'failed' : Object.values(counts).some((n) => n > 0) ? 'erased' : 'nothing_found';
    await m.query(
      `UPDATE export_records SET member_hash = NULL, customer_ref = NULL WHERE tenant_id = $1 AND erasure_request_id = $2`,
      [tenantId, requestId],
    );
    await m.query(
      `UPDATE erasure_requests SET status = 'completed', outcome = $3, completed_at = now() WHERE tenant_id = $1 AND request_id = $2`,
      [tenantId, requestId, outcome],
    );
    await this.publish(m, tenantId, requestId, outcome, counts, open[0].rejected);
    return true;
  }

  private async publish(
    m: EntityManager,
    tenantId: TenantId,
    requestId: string,
    outcome: ErasureResultEvent['outcome'],
    counts: Record<string, number>,
    rejected = 0,
  ): Promise<void> {
    const event: ErasureResultEvent = {
      eventId: `${requestId}:marketing-export`,
      tenantId,
      occurredAt: new Date().toISOString(),
      type: outcome === 'failed' ? 'erasure.failed' : 'erasure.completed',
      requestId,
      service: 'marketing-export',
      outcome,
      counts,
      ...(outcome === 'failed'
        ? { error: `the destination refused ${rejected} audience removal(s); see the export ledger` }
        : {}),
    };
    await enqueueOutbox(m, Topics.ErasureResults, erasureEventKey(tenantId, requestId), event);
  }
}
