import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { unknownTenantEvents } from '@custody/observability';
import { NetworkClient } from '../repositories/network.client';
import { RoutingRepository } from '../repositories/routing.repository';

/**
 * Hands accepted outbound messages (the business's and Custody's system notices) to the network,
 * in batches. A network outage makes the batch fail and retry with backoff; nothing is skipped.
 */
@Injectable()
export class DispatchConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly network: NetworkClient,
    private readonly routing: RoutingRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribeBatch<MessageEvent>({
      groupId: 'ingest-dispatch',
      topics: [Topics.MessagesOutbound],
      fromBeginning: true,
      maxBatch: 500,
      handler: async (items) => {
        // Only numbers this deployment routes go out (an event for an unknown number is not ours:
        // counted in custody_unknown_tenant_events_total, not sent, not logged per event).
        const routed = [];
        for (const item of items) {
          const route = await this.routing.routeFor(item.event.phoneNumberId);
          if (route && route.tenantId === item.event.tenantId) {
            routed.push(item);
          } else {
            unknownTenantEvents.labels(item.meta.topic).inc();
          }
        }
        if (routed.length === 0) {
          return;
        }
        await this.network.deliver(
          routed.map(({ event }) => ({
            messageId: event.messageId,
            phoneNumberId: event.phoneNumberId,
            to: event.customer.waId,
            type: event.messageType,
            content: event.content,
            ...(event.contextMessageId ? { contextMessageId: event.contextMessageId } : {}),
            origin: event.origin === 'system' ? 'system' : 'business',
          })),
        );
      },
    });
  }
}
