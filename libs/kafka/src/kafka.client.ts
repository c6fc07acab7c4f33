import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Consumer, ConsumerConfig, Kafka, logLevel, Producer } from 'kafkajs';
import { KafkaSettings, toKafkaConfig } from './kafka-settings';
import { kafkaLogCreator } from './kafka-logging';

/** Owns the broker connections of one process: one idempotent producer, one admin, its consumers. */
@Injectable()
export class KafkaClient implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaClient.name);
  readonly kafka: Kafka;
  private producerPromise?: Promise<Producer>;
  private adminPromise?: Promise<Admin>;
  private readonly consumers = new Set<Consumer>();

  constructor(readonly settings: KafkaSettings) {
    this.kafka = new Kafka({ ...toKafkaConfig(settings), logLevel: logLevel.WARN, logCreator: kafkaLogCreator });
  }

  /** The idempotent producer (acks=all is set per send); connected on first use. */
  producer(): Promise<Producer> {
    this.producerPromise ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producerPromise = undefined;
      throw error;
    });
    return this.producerPromise;
  }

  admin(): Promise<Admin> {
    this.adminPromise ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.adminPromise = undefined;
      throw error;
    });
    return this.adminPromise;
  }

  consumer(config: ConsumerConfig): Consumer {
    const consumer = this.kafka.consumer({ allowAutoTopicCreation: false, ...config });
    this.consumers.add(consumer);
    return consumer;
  }

  /** Readiness: the cluster answers a metadata request. */
  async ping(): Promise<void> {
    const admin = await this.admin();
    await admin.describeCluster();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    const producer = this.producerPromise;
    const admin = this.adminPromise;
    this.producerPromise = undefined;
    this.adminPromise = undefined;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
    this.logger.log('kafka connections closed');
  }
}
