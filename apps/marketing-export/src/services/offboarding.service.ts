import { Injectable } from '@nestjs/common';
import { OffboardingRequestedEvent } from '@custody/contracts';
import { asTenantId, TenantDb } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { ExportRepository } from '../repositories/export.repository';
import { OffboardedTenants } from '../repositories/offboarded-tenants.repository';
import { UploadInFlightError } from './erasure.service';
import { exportSuppressed } from './export.metrics';
import { ExportWorker } from './export-worker.service';
import { OffboardingCompletion } from './offboarding-completion.service';

/**
 * The export's part of offboarding a tenant: stop whatever was still to be sent, remove every
 * audience member of the tenant at its ads destinations (with the tenant's own credentials, which
 * this service keeps until then), and once every removal is confirmed delete every row of the
 * tenant from every table of the schema (ledger, memberships, consent view, checkpoints,
 * credentials, audit reads) and report on `offboarding.results`, in the transaction that deletes
 * the last rows. A removal the destination refuses for good is reported as `failed` and the
 * tenant's rows are kept, so the members still to be removed are not forgotten.
 */
@Injectable()
export class OffboardingService {
  constructor(
    private readonly db: TenantDb,
    private readonly records: ExportRepository,
    private readonly worker: ExportWorker,
    private readonly outbox: OutboxService,
    private readonly completion: OffboardingCompletion,
    private readonly offboarded: OffboardedTenants,
  ) {}

  async handle(event: OffboardingRequestedEvent): Promise<void> {
    const tenantId = asTenantId(event.tenantId);
    // From here on the consumers drop the tenant's events (consent, checkpoints, candidates).
    await this.offboarded.record(tenantId, event.offboardingId);
    await this.db.forTenant(tenantId, async (m) => {
      const fresh: unknown[] = await m.query(
        `INSERT INTO offboardings (tenant_id, offboarding_id) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING RETURNING 1`,
        [tenantId, event.offboardingId],
      );
      if (fresh.length === 0) {
        return;
      }
      const inFlight: Array<{ n: number }> = await m.query(
        `SELECT count(*)::int AS n FROM export_records WHERE tenant_id = $1 AND status = 'sending' AND operation <> 'remove'`,
        [tenantId],
      );
      if (inFlight[0].n > 0) {
        throw new UploadInFlightError();
      }
      const pending: Array<{ id: string }> = await m.query(
        `SELECT id FROM export_records WHERE tenant_id = $1 AND status = 'pending' AND operation <> 'remove' FOR UPDATE`,
        [tenantId],
      );
      await this.records.settle(
        m,
        tenantId,
        pending.map((p) => ({ id: p.id, status: 'suppressed', reason: 'authorization_withdrawn' })),
      );
      exportSuppressed.labels('authorization_withdrawn').inc(pending.length);
      const members = await this.records.membershipsOfTenant(m, tenantId);
      const scheduled = await this.records.scheduleRemovals(
        m,
        tenantId,
        members.map((member) => ({ member, causeKey: `offboarding:${event.offboardingId}` })),
        { reason: 'offboarding', trigger: { kind: 'offboarding', offboardingId: event.offboardingId } },
      );
      const running = members.filter((mb) => mb.state === 'removing').length;
      await m.query(`UPDATE offboardings SET audience_removals = $2 WHERE tenant_id = $1`, [
        tenantId,
        scheduled.length + running,
      ]);
    });
    this.outbox.wake();
    this.worker.wake();
    await this.completion.completeIfDone(tenantId);
  }
}
