import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OffboardingResultEvent, Topics } from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';
import { OffboardingService } from '../services/offboarding.service';

/** The services' reports on offboardings; offsets are committed after the report is recorded. */
@Injectable()
export class OffboardingConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly offboarding: OffboardingService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<OffboardingResultEvent>({
      groupId: 'tenant-store-offboarding',
      topics: [Topics.OffboardingResults],
      fromBeginning: true,
      handler: (event) => this.offboarding.applyResult(event),
    });
  }
}
