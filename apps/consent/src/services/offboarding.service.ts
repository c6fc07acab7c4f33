import { Injectable, Logger } from '@nestjs/common';
import { consentEventKey, OffboardingRequestedEvent, OffboardingResultEvent, Topics } from '@custody/contracts';
import { asTenantId, TenantDb } from '@custody/database';
import { EventPublisher } from '@custody/kafka';

const TOMBSTONE_BATCH = 1000;

interface Removal {
  tables: Record<string, number>;
  logSize: number | null;
  lastTreeSize: number | null;
  lastRoot: string | null;
}

/**
 * consent's part of offboarding a tenant. The consent log is append-only, so its rows go only
 * through the owner's `remove_offboarded_tenant` function, which refuses unless the tenant is
 * recorded in `offboarded_tenants` — a record this service adds first and that stays (by the
 * tenant's hash, with what was removed and the log's last signed head: hashes only). Before that:
 * events not yet relayed from the outbox are dropped, and the tenant's keys on the compacted
 * `consent.events` and `consent.checkpoints` topics are tombstoned, so compaction drops the
 * events that carry its customers' numbers and its checkpoints. Idempotent: a replay removes what
 * is left and reports the record again.
 */
@Injectable()
export class ConsentOffboardingService {
  private readonly logger = new Logger(ConsentOffboardingService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly publisher: EventPublisher,
  ) {}

  async handle(event: OffboardingRequestedEvent): Promise<void> {
    const tenantId = asTenantId(event.tenantId);
    // The permanent record first: the removal below requires it. Only the owner writes it, through
    // a function only the platform role may call: no tenant's transaction can add one.
    await this.db.forPlatform((m) =>
      m.query(`SELECT record_offboarded_tenant($1, $2)`, [tenantId, event.offboardingId]),
    );
    const outboxEvents = await this.db.forTenant(tenantId, async (m) => {
      const [, dropped]: [unknown, number] = await m.query(`DELETE FROM outbox WHERE payload->>'tenantId' = $1`, [
        tenantId,
      ]);
      return dropped;
    });
    const keys: Array<{ subject: string; purpose_key: string }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT subject, purpose_key FROM consent_state WHERE tenant_id = $1`, [tenantId]),
    );
    const eventKeys = keys.map((k) => consentEventKey(tenantId, k.subject, k.purpose_key));
    for (let i = 0; i < eventKeys.length; i += TOMBSTONE_BATCH) {
      await this.publisher.publishTombstones(Topics.ConsentEvents, eventKeys.slice(i, i + TOMBSTONE_BATCH), tenantId);
    }
    await this.publisher.publishTombstones(Topics.ConsentCheckpoints, [tenantId], tenantId);
    const removal = await this.db.forPlatform(async (m) => {
      const rows: Array<{ r: Removal }> = await m.query(`SELECT remove_offboarded_tenant($1) AS r`, [tenantId]);
      return rows[0].r;
    });
    const tables = { ...removal.tables };
    if (outboxEvents > 0) {
      tables.outbox = (tables.outbox ?? 0) + outboxEvents;
    }
    const report: OffboardingResultEvent = {
      eventId: `${event.offboardingId}:consent`,
      type: 'offboarding.completed',
      tenantId,
      occurredAt: new Date().toISOString(),
      offboardingId: event.offboardingId,
      service: 'consent',
      outcome: 'removed',
      tables,
      effects: { consentEventTombstones: keys.length },
      ...(removal.lastTreeSize !== null && removal.lastRoot !== null
        ? { logHead: { treeSize: Number(removal.lastTreeSize), root: removal.lastRoot } }
        : {}),
    };
    await this.publisher.publish(Topics.OffboardingResults, tenantId, report);
    this.logger.log({
      msg: 'tenant removed from the consent log',
      tenantId,
      offboardingId: event.offboardingId,
      tables,
    });
  }
}
