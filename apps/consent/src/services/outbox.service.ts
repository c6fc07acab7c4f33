import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topic } from '@custody/contracts';
import { OutboxRecord, OutboxRelay } from '@custody/database';
import { EventPublisher } from '@custody/kafka';

/** Relays consent's outbox (consent.events, confirmation messages) to Kafka after each commit. */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(dataSource: DataSource, publisher: EventPublisher) {
    this.relay = new OutboxRelay(dataSource, async (records: OutboxRecord[]) => {
      const byTopic = new Map<string, OutboxRecord[]>();
      for (const r of records) {
        byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      }
      for (const [topic, rows] of byTopic) {
        await publisher.publishBatch(
          topic as Topic,
          rows.map((r) => ({ key: r.key, event: r.payload as never, headers: r.headers })),
        );
      }
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

  flush(): Promise<number> {
    return this.relay.flush();
  }
}
