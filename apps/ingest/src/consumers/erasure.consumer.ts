import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ErasureRequestedEvent, Topics } from '@custody/contracts';
import { asTenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { IngestErasureRepository } from '../repositories/erasure.repository';

/**
 * ingest's part of erasing a customer: its webhook deliveries (payloads with the customer's
 * messages), the service windows of the customer's conversations and stored send responses.
 * ingest is not one of the services that report on `erasure.results` (see docs/data-lifecycle.md):
 * it acts on the request and logs counts, idempotently (a replay deletes nothing more).
 */
@Injectable()
export class ErasureConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(ErasureConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly erasure: IngestErasureRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<ErasureRequestedEvent>({
      groupId: 'ingest-erasure',
      topics: [Topics.ErasureRequests],
      fromBeginning: true,
      handler: async (event) => {
        const counts = await this.erasure.eraseCustomer(asTenantId(event.tenantId), event.customer.waId);
        this.logger.log({ msg: 'customer erased', tenantId: event.tenantId, requestId: event.requestId, ...counts });
      },
    });
  }
}
