import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ErasureRequestedEvent, ErasureResultEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { CustomerErasureService } from '../services/customer-erasure.service';
import { ErasureService } from '../services/erasure.service';

/**
 * Erasure requests (tenant-store's own part: forget the customer here) and every service's
 * report on them (to complete the request). Offsets are committed after the effect is durable.
 */
@Injectable()
export class ErasureConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly customers: CustomerErasureService,
    private readonly erasures: ErasureService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<ErasureRequestedEvent | ErasureResultEvent>({
      groupId: 'tenant-store-erasure',
      topics: [Topics.ErasureRequests, Topics.ErasureResults],
      fromBeginning: true,
      handler: (event, meta) =>
        meta.topic === Topics.ErasureRequests
          ? this.customers.handle(event as ErasureRequestedEvent)
          : this.erasures.applyResult(event as ErasureResultEvent),
    });
  }
}
