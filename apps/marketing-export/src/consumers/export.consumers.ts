import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  ConsentChangedEvent,
  ConsentCheckpointEvent,
  ErasureRequestedEvent,
  MarketingAuthorizedEvent,
  OffboardingRequestedEvent,
  Topics,
} from '@custody/contracts';
import { EventSubscriber } from '@custody/kafka';

type Consumer = Awaited<ReturnType<EventSubscriber['subscribe']>>;
import { ExportSettings } from '../config/export.settings';
import { CandidateService } from '../services/candidate.service';
import { ConsentCheckpointService } from '../services/consent-checkpoint.service';
import { ConsentViewService } from '../services/consent-view.service';
import { ErasureService } from '../services/erasure.service';
import { OffboardedTenants } from '../repositories/offboarded-tenants.repository';
import { OffboardingService } from '../services/offboarding.service';

/**
 * The export's five consumer groups: the consent view (compacted `consent.events`, read from the
 * beginning so a new deployment rebuilds its view), the consent log's checkpoints the ledger cites
 * (compacted `consent.checkpoints`), candidates and authorization states (`marketing.authorized`),
 * erasure requests and offboarding requests. Each joins in the background and retries
 * joining; handlers are idempotent, offsets are committed after their effect is durable.
 */
@Injectable()
export class ExportConsumers implements OnApplicationBootstrap {
  private readonly logger = new Logger(ExportConsumers.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly settings: ExportSettings,
    private readonly consent: ConsentViewService,
    private readonly candidates: CandidateService,
    private readonly erasure: ErasureService,
    private readonly checkpoints: ConsentCheckpointService,
    private readonly offboarding: OffboardingService,
    private readonly offboarded: OffboardedTenants,
  ) {}

  onApplicationBootstrap(): void {
    const group = this.settings.consumerGroup;
    void this.start('consent view', 1000, () =>
      this.subscriber.subscribeBatch<ConsentChangedEvent>({
        groupId: `${group}.consent`,
        topics: [Topics.ConsentEvents],
        maxBatch: 1000,
        handler: (batch) =>
          this.timed('consent view', batch.length, async () =>
            this.consent.handle(await this.offboarded.without(batch.map((b) => b.event))),
          ),
      }),
    );
    void this.start('candidates', 1000, () =>
      this.subscriber.subscribeBatch<MarketingAuthorizedEvent>({
        groupId: `${group}.candidates`,
        topics: [Topics.MarketingAuthorized],
        maxBatch: 1000,
        handler: (batch) =>
          this.timed('candidates', batch.length, async () =>
            this.candidates.handle(await this.offboarded.without(batch.map((b) => b.event))),
          ),
      }),
    );
    void this.start('consent checkpoints', 1000, () =>
      this.subscriber.subscribeBatch<ConsentCheckpointEvent>({
        groupId: `${group}.checkpoints`,
        topics: [Topics.ConsentCheckpoints],
        maxBatch: 1000,
        handler: async (batch) => this.checkpoints.handle(await this.offboarded.without(batch.map((b) => b.event))),
      }),
    );
    void this.start('erasure requests', 1000, () =>
      this.subscriber.subscribe<ErasureRequestedEvent>({
        groupId: `${group}.erasure`,
        topics: [Topics.ErasureRequests],
        handler: (event) => this.erasure.handle(event),
      }),
    );
    void this.start('offboarding requests', 1000, () =>
      this.subscriber.subscribe<OffboardingRequestedEvent>({
        groupId: `${group}.offboarding`,
        topics: [Topics.OffboardingRequests],
        fromBeginning: true,
        handler: (event) => this.offboarding.handle(event),
      }),
    );
  }

  /** Runs a batch handler; one that takes long enough to endanger the group session is logged. */
  private async timed(what: string, events: number, work: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await work();
    const ms = performance.now() - started;
    if (ms > 3000) {
      this.logger.warn({ msg: `slow ${what} batch`, events, ms: Math.round(ms) });
    }
  }

  private async start(what: string, retryMs: number, subscribe: () => Promise<Consumer>): Promise<void> {
    try {
      const consumer = await subscribe();
      consumer.on(consumer.events.CRASH, (e) =>
        this.logger.warn({ msg: `consumer crashed (${what})`, restart: e.payload.restart, err: e.payload.error }),
      );
      consumer.on(consumer.events.GROUP_JOIN, (e) =>
        this.logger.log({ msg: `consumer joined its group (${what})`, durationMs: e.payload.duration }),
      );
      consumer.on(consumer.events.STOP, () => this.logger.warn({ msg: `consumer stopped (${what})` }));
    } catch (error) {
      this.logger.warn({ msg: `cannot subscribe (${what}); retrying`, retryMs, err: error });
      setTimeout(() => void this.start(what, Math.min(retryMs * 2, 30_000), subscribe), retryMs).unref();
    }
  }
}
