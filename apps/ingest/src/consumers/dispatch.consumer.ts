import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { NetworkClient } from '../repositories/network.client';

/**
 * Hands accepted outbound messages (the business's and Custody's system notices) to the network,
 * in batches. A network outage makes the batch fail and retry with backoff; nothing is skipped.
 */
@Injectable()
export class DispatchConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly network: NetworkClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribeBatch<MessageEvent>({
      groupId: 'ingest-dispatch',
      topics: [Topics.MessagesOutbound],
      fromBeginning: true,
      maxBatch: 500,
      handler: async (items) => {
        await this.network.deliver(
          items.map(({ event }) => ({
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
