import { CustomerIdentity } from '@custody/crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  consentEventKey,
  ErasureRequestedEvent,
  erasureEventKey,
  ErasureResultEvent,
  Topics,
} from '@custody/contracts';
import { ConversationKeyring } from '@custody/crypto';
import { asTenantId, enqueueOutbox, TenantDb } from '@custody/database';
import { EventPublisher, OutboxService } from '@custody/kafka';
import { PseudonymRepository } from '../repositories/pseudonym.repository';

/**
 * consent's part of erasing a customer. The log stays as it is (it names the customer only by a
 * pseudonym, so it stays verifiable); what goes is everything that links the number to it: the
 * customer's pseudonym row, the customer's events on the compacted `consent.events` topic
 * (tombstoned, so compaction drops the WhatsApp id they carry) and events not yet relayed from
 * the outbox. Then the report, through the outbox in the same transaction as the unlinking.
 */
@Injectable()
export class ConsentErasureService {
  private readonly logger = new Logger(ConsentErasureService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly pseudonyms: PseudonymRepository,
    private readonly publisher: EventPublisher,
    private readonly outbox: OutboxService,
    private readonly identity: CustomerIdentity,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  async handle(event: ErasureRequestedEvent): Promise<void> {
    const tenantId = asTenantId(event.tenantId);
    // The number, opened to find consent's link row (keyed by a hash of it); the outbox by reference.
    // tenant-store destroys the customer's conversation keys: this replica forgets its cached
    // copies (the tenant's) before it reports.
    this.conversationKeys.evict(tenantId);
    const waId = await this.identity.open(tenantId, event.customer.ref, event.customer.waIdCiphertext);
    // Tombstones first, while the pseudonym is still known: if anything below fails, the retry
    // can still find them (tombstones are idempotent).
    const subject = await this.pseudonyms.findSubject(tenantId, waId);
    const rows: Array<{ purpose_key: string }> = subject
      ? await this.db.forTenant(tenantId, (m) =>
          m.query(`SELECT purpose_key FROM consent_state WHERE tenant_id = $1 AND subject = $2`, [tenantId, subject]),
        )
      : [];
    const purposes = rows.map((r) => r.purpose_key);
    await this.publisher.publishTombstones(
      Topics.ConsentEvents,
      purposes.map((p) => consentEventKey(tenantId, subject!, p)),
      tenantId,
    );
    const counts = await this.db.forTenant(tenantId, async (m) => {
      const unlinked = await this.pseudonyms.erase(m, tenantId, waId);
      // Not yet relayed: consent events and in-chat confirmations that carry the number.
      const [, pendingEvents]: [unknown, number] = await m.query(
        `DELETE FROM outbox WHERE payload->>'tenantId' = $1 AND payload->'customer'->>'ref' = $2`,
        [tenantId, event.customer.ref],
      );
      const result = { pseudonyms: unlinked ? 1 : 0, consentEvents: purposes.length, pendingEvents };
      const report: ErasureResultEvent = {
        eventId: `${event.requestId}:consent`,
        type: 'erasure.completed',
        tenantId,
        occurredAt: new Date().toISOString(),
        requestId: event.requestId,
        service: 'consent',
        outcome: unlinked || pendingEvents > 0 ? 'erased' : 'nothing_found',
        counts: result,
      };
      await enqueueOutbox(m, Topics.ErasureResults, erasureEventKey(tenantId, event.requestId), report);
      return result;
    });
    this.outbox.wake();
    this.logger.log({ msg: 'customer unlinked from the consent log', tenantId, requestId: event.requestId, ...counts });
  }
}
