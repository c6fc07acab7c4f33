import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OffboardingResultEvent, Topics } from '@custody/contracts';
import { enqueueOutbox, TenantDb, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { deleteTenantRows, tenantTables } from '@custody/platform';

/** Tables removed last, in the transaction that reports: the offboarding's own row and the append-only audit reads. */
const LAST = ['offboardings', 'audit_reads'];

/**
 * Completes a tenant's offboarding in the export once no removal of it is open (called after the
 * request and by the worker after every settled removal batch).
 */
@Injectable()
export class OffboardingCompletion {
  private readonly logger = new Logger(OffboardingCompletion.name);
  private readonly completing = new Set<string>();

  constructor(
    private readonly db: TenantDb,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Called after the request and after every settled removal batch: when the tenant is being
   * offboarded and no removal of it is open any more, removes its rows and reports.
   */
  async completeIfDone(tenantId: TenantId): Promise<void> {
    if (this.completing.has(tenantId)) {
      return;
    }
    this.completing.add(tenantId);
    try {
      await this.complete(tenantId);
    } finally {
      this.completing.delete(tenantId);
    }
  }

  private async complete(tenantId: TenantId): Promise<void> {
    const state = await this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ offboarding_id: string; audience_removals: number }> = await m.query(
        `SELECT offboarding_id, audience_removals FROM offboardings WHERE tenant_id = $1`,
        [tenantId],
      );
      if (!rows[0]) {
        return null;
      }
      const open: Array<{ open: number; rejected: number }> = await m.query(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS open,
                count(*) FILTER (WHERE status = 'rejected')::int AS rejected
           FROM export_records WHERE tenant_id = $1 AND operation = 'remove' AND (status IN ('pending', 'sending') OR record_key LIKE $2)`,
        [tenantId, `remove:offboarding:${rows[0].offboarding_id}:%`],
      );
      return { ...rows[0], ...open[0] };
    });
    if (!state || state.open > 0) {
      return;
    }
    const offboardingId = state.offboarding_id;
    if (state.rejected > 0) {
      await this.report(tenantId, offboardingId, {
        outcome: 'failed',
        tables: {},
        effects: { audienceRemovals: state.audience_removals, rejectedRemovals: state.rejected },
        error: `the destination refused ${state.rejected} audience removal(s); the tenant's export rows are kept (see the export ledger)`,
      });
      return;
    }
    const tables = await this.db.forTenant(tenantId, (m) => tenantTables(m, LAST));
    const removed = await deleteTenantRows((work) => this.db.forTenant(tenantId, work), tenantId, tables);
    // The append-only audit reads go through the owner's function, the platform role's alone,
    // which requires the offboarding record.
    const reads: Array<{ n: string }> = await this.db.forPlatform((m) =>
      m.query(`SELECT remove_offboarded_audit_reads($1) AS n`, [tenantId]),
    );
    const auditReads = Number(reads[0].n);
    await this.db.forTenant(tenantId, async (m) => {
      const gone: unknown[] = await m.query(`DELETE FROM offboardings WHERE tenant_id = $1 RETURNING 1`, [tenantId]);
      if (gone.length === 0) {
        return; // another replica reported meanwhile
      }
      const all = { ...removed, offboardings: 1, ...(auditReads > 0 ? { audit_reads: auditReads } : {}) };
      await this.enqueueReport(m, tenantId, offboardingId, {
        outcome: 'removed',
        tables: all,
        effects: { audienceRemovals: state.audience_removals },
      });
      this.logger.log({ msg: 'tenant removed from the export', tenantId, offboardingId, tables: all });
    });
    this.outbox.wake();
  }

  private async report(
    tenantId: TenantId,
    offboardingId: string,
    result: Pick<OffboardingResultEvent, 'outcome' | 'tables' | 'effects' | 'error'>,
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) => this.enqueueReport(m, tenantId, offboardingId, result));
    this.outbox.wake();
  }

  private async enqueueReport(
    m: EntityManager,
    tenantId: TenantId,
    offboardingId: string,
    result: Pick<OffboardingResultEvent, 'outcome' | 'tables' | 'effects' | 'error'>,
  ): Promise<void> {
    const event: OffboardingResultEvent = {
      eventId: `${offboardingId}:marketing-export`,
      type: result.outcome === 'failed' ? 'offboarding.failed' : 'offboarding.completed',
      tenantId,
      occurredAt: new Date().toISOString(),
      offboardingId,
      service: 'marketing-export',
      ...result,
    };
    await enqueueOutbox(m, Topics.OffboardingResults, tenantId, event);
  }
}
