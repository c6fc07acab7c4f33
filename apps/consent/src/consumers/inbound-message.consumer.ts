import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';
import { detectChatCommand } from '../domain/keywords';
import { ChatConsentService } from '../services/chat-consent.service';

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
      await this.subscriber.subscribe<MessageEvent>({
        groupId: this.settings.consumerGroup,
        topics: [Topics.MessagesInbound],
        handler: (event) => this.handle(event),
      });
    } catch (error) {
      this.logger.warn({ msg: 'cannot subscribe to inbound messages; retrying', retryMs, err: error });
      setTimeout(() => void this.start(Math.min(retryMs * 2, 30_000)), retryMs).unref();
    }
  }

  async handle(event: MessageEvent): Promise<void> {
    if (event.type !== 'message.inbound' || event.origin !== 'customer') {
      return;
    }
    const command = detectChatCommand(event.messageType, event.content);
    if (command) {
      await this.chat.handle(event, command);
    }
  }
}
