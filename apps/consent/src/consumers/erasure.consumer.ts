import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ErasureRequestedEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';
import { ConsentErasureService } from '../services/erasure.service';

/** Erasure requests: unlink the customer from the consent log and report on `erasure.results`. */
@Injectable()
export class ErasureConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(ErasureConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly erasure: ConsentErasureService,
    private readonly settings: ConsentSettings,
  ) {}

  /** Joins in the background, like the inbound consumer: the API does not wait for a rebalance. */
  onApplicationBootstrap(): void {
    void this.start(1000);
  }

  private async start(retryMs: number): Promise<void> {
    try {
      await this.subscriber.subscribe<ErasureRequestedEvent>({
        groupId: this.settings.erasureConsumerGroup,
        topics: [Topics.ErasureRequests],
        handler: (event) => this.erasure.handle(event),
      });
    } catch (error) {
      this.logger.warn({ msg: 'cannot subscribe to erasure requests; retrying', retryMs, err: error });
      setTimeout(() => void this.start(Math.min(retryMs * 2, 30_000)), retryMs).unref();
    }
  }
}
