import { DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@custody/observability';
import { KafkaClient } from './kafka.client';
import { KafkaSettings } from './kafka-settings';
import { EventPublisher } from './event.publisher';
import { EventSubscriber } from './event.subscriber';

@Injectable()
class KafkaReadiness implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    private readonly kafka: KafkaClient,
  ) {}
  onModuleInit(): void {
    this.health.register('kafka', () => this.kafka.ping());
  }
}

/** Kafka for one app: the client, the schema-checking publisher and subscriber, a readiness check. */
@Module({})
export class KafkaModule {
  static forRoot(settings: KafkaSettings): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KafkaClient, useFactory: () => new KafkaClient(settings) },
        EventPublisher,
        EventSubscriber,
        KafkaReadiness,
      ],
      exports: [KafkaClient, EventPublisher, EventSubscriber],
    };
  }
}
