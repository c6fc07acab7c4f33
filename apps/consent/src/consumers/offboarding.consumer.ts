import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OffboardingRequestedEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';
import { ConsentOffboardingService } from '../services/offboarding.service';

/** Offboarding requests: remove the tenant's consent records and report on `offboarding.results`. */
@Injectable()
export class OffboardingConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(OffboardingConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly offboarding: ConsentOffboardingService,
    private readonly settings: ConsentSettings,
  ) {}

  /** Joins in the background, like the erasure consumer: the API does not wait for a rebalance. */
  onApplicationBootstrap(): void {
    void this.start(1000);
  }

  private async start(retryMs: number): Promise<void> {
    try {
      await this.subscriber.subscribe<OffboardingRequestedEvent>({
        groupId: this.settings.offboardingConsumerGroup,
        topics: [Topics.OffboardingRequests],
        fromBeginning: true,
        handler: (event) => this.offboarding.handle(event),
      });
    } catch (error) {
      this.logger.warn({ msg: 'cannot subscribe to offboarding requests; retrying', retryMs, err: error });
      setTimeout(() => void this.start(Math.min(retryMs * 2, 30_000)), retryMs).unref();
    }
  }
}
