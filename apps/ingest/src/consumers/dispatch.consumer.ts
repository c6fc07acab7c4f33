import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { CustomerIdentity, FieldCipher, isPermanentDecryptionError, messageContentAad } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { EventMeta, EventSubscriber } from '@custody/kafka';
import { unknownTenantEvents } from '@custody/observability';
import { NetworkClient } from '../repositories/network.client';
import { RoutingRepository } from '../repositories/routing.repository';

/**
 * Hands accepted outbound messages (the business's and Custody's system notices) to the network,
 * in batches. A network outage makes the batch fail and retry with backoff; nothing is skipped.
 * This is where outbound content leaves Custody: it is opened here, for the network, and only here.
 */
@Injectable()
export class DispatchConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly network: NetworkClient,
    private readonly routing: RoutingRepository,
    private readonly cipher: FieldCipher,
    private readonly identity: CustomerIdentity,
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
        const messages = [];
        const rejected: Array<{ meta: EventMeta; error: string }> = [];
        for (const { event, meta } of routed) {
          let content: Record<string, unknown>;
          try {
            content = await this.cipher.decryptJson<Record<string, unknown>>(
              asTenantId(event.tenantId),
              event.contentCiphertext,
              messageContentAad(event.messageId),
            );
          } catch (error) {
            // A key not here yet (a new version on its way) is retried; content that can never be
            // opened (altered, of another tenant, its key destroyed) goes to the dead-letter topic, sealed.
            if (isPermanentDecryptionError(error)) {
              rejected.push({ meta, error: `content cannot be opened: ${error.reason}` });
              continue;
            }
            throw error;
          }
          let to: string;
          try {
            // The number, opened only to hand the message to the network.
            to = await this.identity.open(
              asTenantId(event.tenantId),
              event.customer.ref,
              event.customer.waIdCiphertext,
            );
          } catch (error) {
            if (isPermanentDecryptionError(error)) {
              rejected.push({ meta, error: `recipient cannot be opened: ${error.reason}` });
              continue;
            }
            throw error;
          }
          messages.push({
            messageId: event.messageId,
            phoneNumberId: event.phoneNumberId,
            to,
            type: event.messageType,
            content,
            ...(event.contextMessageId ? { contextMessageId: event.contextMessageId } : {}),
            origin: event.origin === 'system' ? ('system' as const) : ('business' as const),
          });
        }
        if (messages.length > 0) {
          await this.network.deliver(messages);
        }
        return rejected;
      },
    });
  }
}
