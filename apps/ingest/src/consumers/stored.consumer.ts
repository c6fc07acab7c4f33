import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { StoredEvent, Topics } from '@custody/contracts';
import { asTenantId, TenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { RoutingRepository } from '../repositories/routing.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { WebhookWorkerService } from '../services/webhook-worker.service';

/**
 * Turns what tenant-store has durably stored (customer messages, new statuses) into pending
 * webhook deliveries. Deduplicated on the event id, so a replay enqueues nothing twice.
 */
@Injectable()
export class StoredConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly routing: RoutingRepository,
    private readonly webhooks: WebhookRepository,
    private readonly worker: WebhookWorkerService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribeBatch<StoredEvent>({
      groupId: 'ingest-webhooks',
      topics: [Topics.MessagesStored],
      fromBeginning: true,
      handler: async (items) => {
        const byTenant = new Map<TenantId, Parameters<WebhookRepository['enqueue']>[1]>();
        for (const { event } of items) {
          const kind = event.type === 'stored.message' ? 'message' : 'status';
          const payload = event.message ?? event.status;
          if (!payload || (kind === 'message' && event.message?.origin !== 'customer')) {
            continue;
          }
          const route = await this.routing.routeFor(payload.phoneNumberId);
          if (!route || route.tenantId !== event.tenantId) {
            continue;
          }
          const tenantId = asTenantId(event.tenantId);
          byTenant.set(tenantId, [
            ...(byTenant.get(tenantId) ?? []),
            { eventId: event.eventId, businessAccountId: route.businessAccountId, phoneNumberId: payload.phoneNumberId, kind, payload },
          ]);
        }
        for (const [tenantId, rows] of byTenant) {
          const target = await this.routing.webhookFor(tenantId);
          if (target?.url) {
            await this.webhooks.enqueue(tenantId, rows);
          }
        }
        if (byTenant.size > 0) {
          this.worker.wake();
        }
      },
    });
  }
}
