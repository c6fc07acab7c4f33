import { Injectable } from '@nestjs/common';
import { ConsentChangedEvent } from '@custody/contracts';
import { EntityManager } from 'typeorm';
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
          customerRef: e.customer.ref,
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
      removals += await this.db.forTenant(tenantId, async (m) => {
        await this.states.lockCustomers(
          m,
          tenantId,
          changes.map((c) => c.customerRef),
        );
        const applied = await this.states.applyIn(m, tenantId, changes);
        return this.removeNoLongerConsented(
          m,
          tenantId,
          applied.filter((c) => c.status === 'revoked'),
        );
      });
    }
    if (removals > 0) {
      this.outbox.wake();
      this.worker.wake();
    }
  }

  /**
   * Every audience membership of the revoking customers whose data use the current consent no
   * longer covers gets a removal, recorded with the revoke it follows. One transaction with the
   * state change, a few statements for the whole batch.
   */
  private async removeNoLongerConsented(
    m: EntityManager,
    tenantId: TenantId,
    revokes: ConsentStateChange[],
  ): Promise<number> {
    if (revokes.length === 0) {
      return 0;
    }
    const members = (
      await this.records.membershipsOfCustomers(
        m,
        tenantId,
        revokes.map((r) => r.customerRef),
      )
    ).filter((mb) => mb.state === 'active');
    if (members.length === 0) {
      return 0;
    }
    const current = await this.states.forCustomers(
      m,
      tenantId,
      members.map((mb) => mb.customerRef!),
    );
    const revokeOf = new Map(revokes.map((r) => [r.customerRef, r]));
    const removals = members.flatMap((mb) => {
      const revoke = revokeOf.get(mb.customerRef!);
      if (!revoke || checkConsent(current.get(mb.customerRef!) ?? [], mb.dataUses).allowed) {
        return [];
      }
      const ref = { ...revoke, effectiveAt: new Date(revoke.effectiveAt) };
      return [{ member: mb, causeKey: revoke.eventId, consent: mb.dataUses.map((u) => toRef(ref, u)) }];
    });
    const ids = await this.records.scheduleRemovals(m, tenantId, removals, {
      reason: 'revoked',
      trigger: { kind: 'consent.revoked' },
    });
    return ids.length;
  }
}
