import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OffboardingRequestedEvent, OffboardingResultEvent, Topics } from '@custody/contracts';
import { asTenantId } from '@custody/database';
import { EventPublisher, EventSubscriber } from '@custody/kafka';
import { RoutingRepository } from '../repositories/routing.repository';

/**
 * ingest's part of offboarding a tenant: every row of it in every table of ingest's schema
 * (routes, webhook configuration, deliveries and attempts, service windows, stored send responses,
 * media, inbound message ids, retention, data keys, and any table added later), then its report on
 * `offboarding.results`. Idempotent: a replay removes what is left and reports again (tenant-store
 * keeps the first `removed` report); a report that cannot be published fails the handler, which retries.
 */
@Injectable()
export class OffboardingConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(OffboardingConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly routing: RoutingRepository,
    private readonly publisher: EventPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe<OffboardingRequestedEvent>({
      groupId: 'ingest-offboarding',
      topics: [Topics.OffboardingRequests],
      fromBeginning: true,
      handler: async (event) => {
        const tables = await this.routing.removeTenantRows(asTenantId(event.tenantId), event.offboardingId);
        const report: OffboardingResultEvent = {
          eventId: `${event.offboardingId}:ingest`,
          type: 'offboarding.completed',
          occurredAt: new Date().toISOString(),
          tenantId: event.tenantId,
          offboardingId: event.offboardingId,
          service: 'ingest',
          outcome: 'removed',
          tables,
        };
        await this.publisher.publish(Topics.OffboardingResults, event.tenantId, report);
        this.logger.log({
          msg: 'tenant removed',
          tenantId: event.tenantId,
          offboardingId: event.offboardingId,
          tables,
        });
      },
    });
  }
}
