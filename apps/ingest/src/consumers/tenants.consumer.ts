import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TenantChangedEvent, Topics } from '@custody/contracts';
import { CustomerIndexKeys, DataKeyReceiver } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { RoutingRepository } from '../repositories/routing.repository';

/**
 * Keeps ingest's routing table and its copy of the tenants' wrapped data keys in step with
 * tenant-store (compacted topic, read from the start). The keys first: a number routes only once
 * its tenant's content can be sealed. An offboarded tenant's keys go at once; its rows go with the
 * offboarding request (OffboardingConsumer).
 */
@Injectable()
export class TenantsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly routing: RoutingRepository,
    private readonly keys: DataKeyReceiver,
    private readonly indexKeys: CustomerIndexKeys,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<TenantChangedEvent>({
      groupId: 'ingest-tenants',
      topics: [Topics.TenantsChanged],
      fromBeginning: true,
      handler: async (event) => {
        const tenantId = asTenantId(event.tenantId);
        // An earlier event of a tenant whose offboarding request was handled first changes nothing.
        if (event.deleted || (await this.routing.isOffboarded(tenantId))) {
          await this.keys.receive(tenantId, []);
          await this.indexKeys.receive(tenantId, null);
          await this.routing.forgetTenant(tenantId);
          return;
        }
        await this.keys.receive(tenantId, event.dataKeys);
        await this.indexKeys.receive(tenantId, event.customerIndexKey);
        await this.routing.applyTenant(tenantId, {
          businessAccountId: event.businessAccountId,
          displayName: event.displayName,
          status: event.status,
          messagesPerSecond: event.messagesPerSecond ?? 80,
          numbers: event.phoneNumbers,
          webhookUrl: event.webhookUrl,
          appSecretCiphertext: event.webhookAppSecretCiphertext,
          retentionDays: event.retentionDays,
        });
        // Offboarded while this event was applied: what it wrote goes again.
        await this.routing.sweepIfOffboarded(tenantId);
      },
    });
  }
}
