import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MessageEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';
import { detectChatCommand } from '../domain/keywords';
import { ChatConsentService } from '../services/chat-consent.service';

/** Watches customers' inbound messages for STOP/START (and their localized forms). */
@Injectable()
export class InboundMessageConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly chat: ChatConsentService,
    private readonly settings: ConsentSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<MessageEvent>({
      groupId: this.settings.consumerGroup,
      topics: [Topics.MessagesInbound],
      handler: (event) => this.handle(event),
    });
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
