import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { EventMeta, EventSubscriber, PoisonMessageError } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';
import { ChatConsentService } from '../services/chat-consent.service';

/** Customers whose commands of one chunk are handled at the same time. */
const CHUNK_CONCURRENCY = 32;

/** Watches customers' inbound messages for STOP/START (and their localized forms). */
@Injectable()
export class InboundMessageConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(InboundMessageConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly chat: ChatConsentService,
    private readonly settings: ConsentSettings,
  ) {}

  /**
   * Joins the consumer group in the background: the HTTP API does not wait for a rebalance, and
   * nothing is missed meanwhile because the group resumes from its committed offsets.
   */
  onApplicationBootstrap(): void {
    void this.start(1000);
  }

  private async start(retryMs: number): Promise<void> {
    try {
      await this.subscriber.subscribeBatch<MessageEvent>({
        groupId: this.settings.consumerGroup,
        topics: [Topics.MessagesInbound],
        handler: (events) => this.handleChunk(events),
      });
    } catch (error) {
      this.logger.warn({ msg: 'cannot subscribe to inbound messages; retrying', retryMs, err: error });
      setTimeout(() => void this.start(Math.min(retryMs * 2, 30_000)), retryMs).unref();
    }
  }

  /**
   * A chunk of one partition: each customer's commands in their order, different customers at
   * the same time (up to CHUNK_CONCURRENCY), so that their appends share the log writer's group
   * commits instead of queueing one after another. A command that can never be handled goes to
   * the dead-letter topic; any other failure retries the chunk (handling is keyed by the inbound
   * message id, so what was done already changes nothing).
   */
  async handleChunk(
    events: Array<{ event: MessageEvent; meta: EventMeta }>,
  ): Promise<Array<{ meta: EventMeta; error: string }>> {
    const byCustomer = new Map<string, Array<{ event: MessageEvent; meta: EventMeta }>>();
    for (const item of events) {
      const key = `${item.event.tenantId}|${item.event.customer?.ref ?? ''}`;
      const list = byCustomer.get(key);
      if (list) {
        list.push(item);
      } else {
        byCustomer.set(key, [item]);
      }
    }
    const rejected: Array<{ meta: EventMeta; error: string }> = [];
    const queues = [...byCustomer.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < queues.length; i = next++) {
        for (const { event, meta } of queues[i]) {
          try {
            await this.handle(event);
          } catch (error) {
            if (error instanceof PoisonMessageError) {
              rejected.push({ meta, error: error.message });
              continue;
            }
            throw error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CHUNK_CONCURRENCY, queues.length) }, worker));
    return rejected;
  }

  async handle(event: MessageEvent): Promise<void> {
    if (event.type !== 'message.inbound' || event.origin !== 'customer') {
      return;
    }
    const command = await this.chat.detect(event);
    if (command) {
      await this.chat.handle(event, command);
    }
  }
}
