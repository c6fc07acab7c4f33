import { Injectable } from '@nestjs/common';
import { ConsentChangedEvent } from '@custody/contracts';
import { asTenantId, TenantDb, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { checkConsent, toRef } from '../domain/data-use';
import { ConsentStateChange, ConsentStateRepository } from '../repositories/consent-state.repository';
import { ExportRepository } from '../repositories/export.repository';
import { ExportWorker } from './export-worker.service';

/**
 * Keeps the export's consent view current from `consent.events` and, when a change withdraws the
 * consent an audience membership relied on, schedules the customer's removal from that audience.
 */
@Injectable()
export class ConsentViewService {
  constructor(
    private readonly db: TenantDb,
    private readonly states: ConsentStateRepository,
    private readonly records: ExportRepository,
    private readonly worker: ExportWorker,
    private readonly outbox: OutboxService,
  ) {}

  async handle(events: ConsentChangedEvent[]): Promise<void> {
    const byTenant = new Map<TenantId, ConsentStateChange[]>();
    for (const e of events) {
      const tenantId = asTenantId(e.tenantId);
      byTenant.set(tenantId, [
        ...(byTenant.get(tenantId) ?? []),
        {
          waId: e.customer.waId,
          purposeKey: e.purpose.key,
          subject: e.subject,
          dataUse: e.purpose.dataUse,
          status: e.status,
          eventId: e.eventId,
          logIndex: e.logIndex,
          leafHash: e.leafHash,
          effectiveAt: e.effectiveAt,
        },
      ]);
    }
    let removals = 0;
    for (const [tenantId, changes] of byTenant) {
      const applied = await this.states.apply(tenantId, changes);
      for (const revoke of applied.filter((c) => c.status === 'revoked')) {
        removals += await this.removeIfNoLongerConsented(tenantId, revoke);
      }
    }
    if (removals > 0) {
      this.outbox.wake();
      this.worker.wake();
    }
  }

  /** Every audience the customer is in whose data use the current consent no longer covers. */
  private removeIfNoLongerConsented(tenantId: TenantId, revoke: ConsentStateChange): Promise<number> {
    return this.db.forTenant(tenantId, async (m) => {
      const members = (await this.records.membershipsOfCustomer(m, tenantId, revoke.waId)).filter(
        (mb) => mb.state === 'active',
      );
      if (members.length === 0) {
        return 0;
      }
      const current = (await this.states.forCustomers(m, tenantId, [revoke.waId])).get(revoke.waId) ?? [];
      const revokeRef = { ...revoke, logIndex: revoke.logIndex, effectiveAt: new Date(revoke.effectiveAt) };
      let scheduled = 0;
      for (const mb of members) {
        if (checkConsent(current, mb.dataUses).allowed) {
          continue;
        }
        const ids = await this.records.scheduleRemovals(m, tenantId, [mb], {
          key: revoke.eventId,
          reason: 'revoked',
          consent: mb.dataUses.map((u) => toRef(revokeRef, u)),
          trigger: { kind: 'consent.revoked', eventId: revoke.eventId },
        });
        scheduled += ids.length;
      }
      return scheduled;
    });
  }
}
