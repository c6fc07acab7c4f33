import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { erasureEventKey, ErasureRequestedEvent, ErasureResultEvent, Topics } from '@custody/contracts';
import { ConversationKeyring } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { EventPublisher, EventSubscriber } from '@custody/kafka';
import { IngestErasureRepository } from '../repositories/erasure.repository';

/**
 * ingest's part of erasing a customer: its webhook deliveries (payloads with the customer's
 * messages), the service windows of the customer's conversations and stored send responses.
 * Then it reports on `erasure.results` like the other services, and the request completes only
 * with its report. Idempotent: a replay deletes nothing more and reports again (tenant-store never
 * downgrades a report); a report that cannot be published fails the handler, which retries.
 */
@Injectable()
export class ErasureConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(ErasureConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly erasure: IngestErasureRepository,
    private readonly publisher: EventPublisher,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<ErasureRequestedEvent>({
      groupId: 'ingest-erasure',
      topics: [Topics.ErasureRequests],
      fromBeginning: true,
      handler: async (event) => {
        const tenantId = asTenantId(event.tenantId);
        // tenant-store destroys the customer's conversation keys; this replica forgets its cached
        // copies now (the tenant's, a superset: they come back with one read per conversation),
        // the others within the conversation key cache lifetime.
        this.conversationKeys.evict(tenantId);
        const counts = await this.erasure.eraseCustomer(tenantId, event.customer.ref);
        const erased =
          counts.webhookDeliveries +
          counts.serviceWindows +
          counts.idempotencyKeys +
          counts.inboundMessages +
          counts.customerMedia;
        const report: ErasureResultEvent = {
          eventId: `${event.requestId}:ingest`,
          type: 'erasure.completed',
          occurredAt: new Date().toISOString(),
          tenantId: event.tenantId,
          requestId: event.requestId,
          service: 'ingest',
          outcome: erased > 0 ? 'erased' : 'nothing_found',
          counts: { ...counts },
        };
        await this.publisher.publish(Topics.ErasureResults, erasureEventKey(event.tenantId, event.requestId), report);
        this.logger.log({ msg: 'customer erased', tenantId: event.tenantId, requestId: event.requestId, ...counts });
      },
    });
  }
}
