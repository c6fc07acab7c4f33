import { Injectable } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { ConsentSettings } from '../config/consent.settings';
import { AppendUnit, ConsentLogRepository, UnitOutcome } from '../repositories/consent-log.repository';
import { OutboxService } from '@custody/kafka';

interface Pending {
  unit: AppendUnit;
  resolve: (outcome: UnitOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit per tenant. Appends to one tenant's log are serialized by a row lock anyway, so
 * instead of queueing on the lock one transaction each, concurrent appends wait here and go in
 * together: the first runs at once, whatever arrives meanwhile shares the next transaction.
 * Throughput grows with load; an idle log adds no latency.
 */
@Injectable()
export class LogWriter {
  private readonly queues = new Map<TenantId, Pending[]>();

  constructor(
    private readonly log: ConsentLogRepository,
    private readonly outbox: OutboxService,
    private readonly settings: ConsentSettings,
  ) {}

  append(tenantId: TenantId, unit: AppendUnit): Promise<UnitOutcome> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(tenantId);
      if (queue) {
        queue.push({ unit, resolve, reject });
        return;
      }
      this.queues.set(tenantId, [{ unit, resolve, reject }]);
      void this.drain(tenantId);
    });
  }

  private async drain(tenantId: TenantId): Promise<void> {
    const queue = this.queues.get(tenantId)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.settings.appendBatchMax);
      try {
        const outcomes = await this.log.appendUnits(tenantId, batch.map((p) => p.unit));
        batch.forEach((p, i) => p.resolve(outcomes[i]));
      } catch (error) {
        if (batch.length === 1) {
          batch[0].reject(error);
        } else {
          // One unit's failure must not fail its neighbours: retry them one by one.
          for (const p of batch) {
            await this.log.appendUnits(tenantId, [p.unit]).then(([outcome]) => p.resolve(outcome), p.reject);
          }
        }
      }
      this.outbox.wake();
    }
    this.queues.delete(tenantId);
  }
}
