import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topic } from '@custody/contracts';
import { OutboxRecord, OutboxRelay } from '@custody/database';
import { EventPublisher } from './event.publisher';

/**
 * Relays a service's transactional outbox to Kafka: started with the app, woken after each
 * commit that enqueued something, polling as a fallback; rows leave grouped by topic.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(dataSource: DataSource, publisher: EventPublisher) {
    this.relay = new OutboxRelay(dataSource, async (records: OutboxRecord[]) => {
      const byTopic = new Map<string, OutboxRecord[]>();
      for (const r of records) {
        const list = byTopic.get(r.topic);
        if (list) {
          list.push(r);
        } else {
          byTopic.set(r.topic, [r]);
        }
      }
      // Queued together (in this order), so they leave in one produce request.
      await Promise.all(
        [...byTopic].map(([topic, rows]) =>
          publisher.publishBatch(
            topic as Topic,
            rows.map((r) => ({ key: r.key, event: r.payload as never, headers: r.headers })),
          ),
        ),
      );
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }

  wake(): void {
    this.relay.wake();
  }

  /** Publishes rows the caller has just committed (see `enqueueOutboxDirect`); never throws. */
  publishCommitted(records: OutboxRecord[]): Promise<void> {
    return this.relay.publishCommitted(records);
  }

  flush(): Promise<number> {
    return this.relay.flush();
  }
}
