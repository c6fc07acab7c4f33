import { Injectable, Logger } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { ConsentSettings } from '../config/consent.settings';
import {
  AppendUnit,
  ConsentLogRepository,
  isSimpleUnit,
  LogHead,
  PreparedBatch,
  StaleHeadError,
  UnitOutcome,
} from '../repositories/consent-log.repository';
import { OutboxService } from '@custody/kafka';

interface Pending {
  unit: AppendUnit;
  resolve: (outcome: UnitOutcome) => void;
  reject: (error: unknown) => void;
}

const HEAD_CACHE_LIMIT = 10_000;

/**
 * Group commit per tenant, pipelined. Appends to one tenant's log are serialized by a row lock
 * anyway, so instead of queueing on the lock one transaction each, concurrent appends wait here
 * and go in together: the first runs at once, whatever arrives meanwhile shares the next
 * transaction. Throughput grows with load; an idle log adds no latency.
 *
 * While one batch is being written, the next is numbered and hashed on top of the head the first
 * will leave (when it needs nothing read under the lock), so Node and PostgreSQL work at the same
 * time. The write checks that the log is still where the batch expects it; if another writer
 * (a replica) moved it, the batch is redone the ordinary way.
 */
@Injectable()
export class LogWriter {
  private readonly logger = new Logger(LogWriter.name);
  private readonly queues = new Map<TenantId, Pending[]>();
  /** The head this process last left (or is about to leave) per tenant. */
  private readonly heads = new Map<TenantId, LogHead>();

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
    let writing: Promise<void> = Promise.resolve();
    for (;;) {
      if (queue.length === 0) {
        await writing;
        if (queue.length === 0) {
          break;
        }
      }
      const batch = queue.splice(0, this.settings.appendBatchMax);
      const known = this.heads.get(tenantId);
      if (known && batch.every((p) => isSimpleUnit(p.unit))) {
        const prepared = this.log.prepare(
          tenantId,
          batch.map((p) => p.unit),
          known,
        );
        this.remember(tenantId, prepared.end);
        await writing;
        writing = this.commit(tenantId, batch, prepared);
      } else {
        await writing;
        await this.appendNow(tenantId, batch);
      }
    }
    this.queues.delete(tenantId);
  }

  private async commit(tenantId: TenantId, batch: Pending[], prepared: PreparedBatch): Promise<void> {
    try {
      const outcomes = await this.log.commitPrepared(tenantId, prepared);
      batch.forEach((p, i) => p.resolve(outcomes[i]));
      this.outbox.wake();
    } catch (error) {
      if (!(error instanceof StaleHeadError)) {
        this.logger.warn({ msg: 'pipelined append failed; retrying it unpipelined', err: error });
      }
      this.heads.delete(tenantId);
      await this.appendNow(tenantId, batch);
    }
  }

  private async appendNow(tenantId: TenantId, batch: Pending[]): Promise<void> {
    try {
      const done = await this.log.appendReturningHead(
        tenantId,
        batch.map((p) => p.unit),
      );
      this.remember(tenantId, done.end);
      batch.forEach((p, i) => p.resolve(done.outcomes[i]));
    } catch (error) {
      this.heads.delete(tenantId);
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

  private remember(tenantId: TenantId, head: LogHead): void {
    this.heads.delete(tenantId);
    if (this.heads.size >= HEAD_CACHE_LIMIT) {
      this.heads.delete(this.heads.keys().next().value!);
    }
    this.heads.set(tenantId, head);
  }
}
