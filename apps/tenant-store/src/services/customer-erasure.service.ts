import { Injectable, Logger } from '@nestjs/common';
import {
  conversationIdFor,
  ErasureRequestedEvent,
  erasureEventKey,
  ErasureResultEvent,
  Topics,
} from '@custody/contracts';
import { ConversationKeyring } from '@custody/crypto';
import { asTenantId, enqueueOutbox, TenantDb, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';

export interface CustomerErasureCounts {
  conversations: number;
  messages: number;
  statuses: number;
  outboxEvents: number;
  /** Conversation keys destroyed (crypto-shredding: copies on the broker and in backups no longer open). */
  conversationKeys: number;
}

const BATCH = 1000;

/**
 * tenant-store's part of erasing a customer: everything keyed by the customer's WhatsApp id —
 * conversations (with the profile name and ad referral), messages, their status history, and
 * events still waiting in the outbox for those conversations — deleted in bounded batches, then
 * its report published through the outbox. Idempotent: a replay finds nothing and reports so,
 * and tenant-store keeps the first report.
 */
@Injectable()
export class CustomerErasureService {
  private readonly logger = new Logger(CustomerErasureService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly outbox: OutboxService,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  async handle(event: ErasureRequestedEvent): Promise<void> {
    const tenantId = asTenantId(event.tenantId);
    const known: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId]),
    );
    if (known.length === 0) {
      // Not a tenant of this deployment (requests come from tenant-store itself; an offboarded
      // tenant has nothing left): no report, so it cannot stand in for the one that counts.
      return;
    }
    const counts = await this.erase(tenantId, event.customer.ref);
    const erased =
      counts.conversations + counts.messages + counts.statuses + counts.outboxEvents + counts.conversationKeys > 0;
    const result: ErasureResultEvent = {
      eventId: `${event.requestId}:tenant-store`,
      type: 'erasure.completed',
      tenantId,
      occurredAt: new Date().toISOString(),
      requestId: event.requestId,
      service: 'tenant-store',
      outcome: erased ? 'erased' : 'nothing_found',
      counts: { ...counts },
    };
    await this.db.forTenant(tenantId, (m) =>
      enqueueOutbox(m, Topics.ErasureResults, erasureEventKey(tenantId, event.requestId), result),
    );
    this.outbox.wake();
    this.logger.log({ msg: 'customer erased', tenantId, requestId: event.requestId, ...counts });
  }

  /** `customerRef`: the customer's reference (conversations name no number in clear). */
  async erase(tenantId: TenantId, customerRef: string): Promise<CustomerErasureCounts> {
    // The customer's conversations: those stored, and those of every number of the tenant that
    // may still have events in the outbox (conversation ids derive from tenant, number and reference).
    const ids = await this.db.forTenant(tenantId, async (m) => {
      const stored: Array<{ id: string }> = await m.query(
        `SELECT id FROM conversations WHERE tenant_id = $1 AND customer_ref = $2`,
        [tenantId, customerRef],
      );
      const numbers: Array<{ phone_number_id: string }> = await m.query(
        `SELECT phone_number_id FROM phone_numbers WHERE tenant_id = $1`,
        [tenantId],
      );
      return {
        stored: stored.map((r) => r.id),
        all: [
          ...new Set([
            ...stored.map((r) => r.id),
            ...numbers.map((n) => conversationIdFor(tenantId, n.phone_number_id, customerRef)),
          ]),
        ],
      };
    });
    const statuses = await this.batches(
      tenantId,
      `DELETE FROM message_statuses WHERE ctid IN (
         SELECT s.ctid FROM message_statuses s JOIN messages mm ON mm.message_id = s.message_id
          WHERE s.tenant_id = $1 AND mm.tenant_id = $1 AND mm.conversation_id = ANY($2::uuid[]) LIMIT ${BATCH})`,
      ids.stored,
    );
    const messages = await this.batches(
      tenantId,
      `DELETE FROM messages WHERE message_id IN (SELECT message_id FROM messages WHERE tenant_id = $1 AND conversation_id = ANY($2::uuid[]) LIMIT ${BATCH})`,
      ids.stored,
    );
    const conversations = await this.batches(
      tenantId,
      `DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE tenant_id = $1 AND id = ANY($2::uuid[]) LIMIT ${BATCH})`,
      ids.stored,
    );
    // Relayed outbox rows are deleted by the relay; those not relayed yet (e.g. a `stored` event
    // for ingest's webhooks) would carry the customer out again after the erasure.
    const [, outboxEvents]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
      m.query(`DELETE FROM outbox WHERE key = ANY($1::text[])`, [ids.all.map((id) => `${tenantId}:${id}`)]),
    );
    // The request destroyed the customer's conversation keys already; keys made since (messages
    // in flight then) go now, so the copies of those messages that cannot be deleted in place
    // (broker segments, backups, the dead-letter topic) are unreadable too.
    const conversationKeys = await this.conversationKeys.destroy(tenantId, ids.all);
    return { conversations, messages, statuses, outboxEvents, conversationKeys };
  }

  private async batches(tenantId: TenantId, sql: string, conversationIds: string[]): Promise<number> {
    if (conversationIds.length === 0) {
      return 0;
    }
    let total = 0;
    for (;;) {
      const [, affected]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
        m.query(sql, [tenantId, conversationIds]),
      );
      total += affected;
      if (affected < BATCH) {
        return total;
      }
    }
  }
}
