import { Injectable } from '@nestjs/common';
import { ErasureRequestedEvent } from '@custody/contracts';
import { asTenantId, TenantDb } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { ErasureRepository } from '../repositories/erasure.repository';
import { ExportRepository, returnedRows } from '../repositories/export.repository';
import { exportSuppressed } from './export.metrics';
import { ExportWorker } from './export-worker.service';

/** A record of this customer is being uploaded right now; the request is retried once it settled. */
export class UploadInFlightError extends Error {
  constructor() {
    super('an upload of this customer is in flight; erasure will be retried');
    this.name = 'UploadInFlightError';
  }
}

/**
 * The export's part of erasing a customer (GDPR Art. 17, with Art. 19 notification of the
 * recipient): removes them from every audience they are in, stops whatever was still to be sent,
 * and forgets everything that links to them — their WhatsApp id, hashed phone, message and
 * conversation ids — keeping in the ledger only the consent references, which point at the
 * pseudonymous consent log. Completion is reported once every destination confirmed.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly db: TenantDb,
    private readonly records: ExportRepository,
    private readonly erasures: ErasureRepository,
    private readonly worker: ExportWorker,
    private readonly outbox: OutboxService,
  ) {}

  async handle(event: ErasureRequestedEvent): Promise<void> {
    const tenantId = asTenantId(event.tenantId);
    const customerRef = event.customer.ref;
    await this.db.forTenant(tenantId, async (m) => {
      if (!(await this.erasures.begin(m, tenantId, event.requestId))) {
        await this.erasures.republish(m, tenantId, event.requestId);
        return;
      }
      const inFlight: Array<{ n: number }> = await m.query(
        `SELECT count(*)::int AS n FROM export_records WHERE tenant_id = $1 AND customer_ref = $2 AND status = 'sending' AND operation <> 'remove'`,
        [tenantId, customerRef],
      );
      if (inFlight[0].n > 0) {
        throw new UploadInFlightError();
      }
      const pending: Array<{ id: string }> = await m.query(
        `SELECT id FROM export_records WHERE tenant_id = $1 AND customer_ref = $2 AND status = 'pending' AND operation <> 'remove' FOR UPDATE`,
        [tenantId, customerRef],
      );
      await this.records.settle(
        m,
        tenantId,
        pending.map((p) => ({ id: p.id, status: 'suppressed', reason: 'erased' })),
      );
      exportSuppressed.labels('erased').inc(pending.length);

      const members = await this.records.membershipsOfCustomer(m, tenantId, customerRef);
      const scheduled = await this.records.scheduleRemovals(
        m,
        tenantId,
        members.map((member) => ({ member, causeKey: `erasure:${event.requestId}` })),
        {
          reason: 'erasure',
          erasureRequestId: event.requestId,
          trigger: { kind: 'erasure', requestId: event.requestId },
        },
      );
      // Removals already under way (after a revoke) now also complete this request.
      const running = members
        .filter((mb) => mb.state === 'removing' && mb.removalRecordId)
        .map((mb) => mb.removalRecordId!);
      if (running.length > 0) {
        await m.query(
          `UPDATE export_records SET erasure_request_id = $3 WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status IN ('pending', 'sending')`,
          [tenantId, running, event.requestId],
        );
      }
      await m.query(`UPDATE audience_members SET customer_ref = NULL WHERE tenant_id = $1 AND customer_ref = $2`, [
        tenantId,
        customerRef,
      ]);
      const forgotten = returnedRows(
        await m.query(
          `UPDATE export_records
            SET customer_ref = NULL, message_id = NULL, conversation_id = NULL, ctwa_clid = NULL,
                member_hash = CASE WHEN operation = 'remove' AND status IN ('pending', 'sending') THEN member_hash END
          WHERE tenant_id = $1 AND customer_ref = $2 RETURNING 1`,
          [tenantId, customerRef],
        ),
      );
      const consentStates = returnedRows(
        await m.query(`DELETE FROM consent_states WHERE tenant_id = $1 AND customer_ref = $2 RETURNING 1`, [
          tenantId,
          customerRef,
        ]),
      );
      await this.erasures.setCounts(m, tenantId, event.requestId, {
        exportRecords: forgotten.length,
        audienceRemovals: scheduled.length + running.length,
        consentStates: consentStates.length,
      });
      await this.erasures.completeIfDone(m, tenantId, event.requestId);
    });
    this.outbox.wake();
    this.worker.wake();
  }
}
