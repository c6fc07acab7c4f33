import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TenantChangedEvent, Topics } from '@custody/contracts';
import { asTenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { RoutingRepository } from '../repositories/routing.repository';

/** Keeps ingest's routing table in step with tenant-store (compacted topic, read from the start). */
@Injectable()
export class TenantsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly routing: RoutingRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<TenantChangedEvent>({
      groupId: 'ingest-tenants',
      topics: [Topics.TenantsChanged],
      fromBeginning: true,
      handler: (event) =>
        event.deleted
          ? this.routing.removeTenant(asTenantId(event.tenantId))
          : this.routing.applyTenant(asTenantId(event.tenantId), {
              businessAccountId: event.businessAccountId,
              status: event.status,
              messagesPerSecond: event.messagesPerSecond ?? 80,
              numbers: event.phoneNumbers,
              webhookUrl: event.webhookUrl,
              appSecret: event.webhookAppSecret,
            }),
    });
  }
}
