import { Injectable } from '@nestjs/common';
import { CompressionTypes, IHeaders } from 'kafkajs';
import { EventBase, Headers, Topic, validateEvent } from '@custody/contracts';
import { currentContext, kafkaMessagesProduced } from '@custody/observability';
import { KafkaClient } from './kafka.client';

export class EventSchemaError extends Error {
  constructor(
    readonly topic: Topic,
    readonly errors: string[],
  ) {
    super(`event for ${topic} does not match its schema: ${errors.join('; ')}`);
    this.name = 'EventSchemaError';
  }
}

export interface OutgoingEvent<T extends EventBase = EventBase> {
  key: string;
  event: T;
  headers?: Record<string, string>;
}

/**
 * Publishes schema-checked events. Resolves only once the broker has durably accepted them
 * (acks=all on an idempotent producer), so callers may acknowledge to their own clients after it.
 */
@Injectable()
export class EventPublisher {
  constructor(private readonly client: KafkaClient) {}

  async publish<T extends EventBase>(topic: Topic, key: string, event: T, headers: Record<string, string> = {}): Promise<void> {
    await this.publishBatch(topic, [{ key, event, headers }]);
  }

  async publishBatch(topic: Topic, events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    const messages = events.map(({ key, event, headers }) => {
      const checked = validateEvent(topic, JSON.parse(JSON.stringify(event)));
      if (!checked.ok) {
        throw new EventSchemaError(topic, checked.errors);
      }
      return { key, value: JSON.stringify(event), headers: this.headersFor(event, headers ?? {}) };
    });
    const producer = await this.client.producer();
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
    kafkaMessagesProduced.labels(topic).inc(messages.length);
  }

  private headersFor(event: EventBase, extra: Record<string, string>): IHeaders {
    const ctx = currentContext();
    const type = (event as unknown as { type?: unknown }).type;
    return {
      ...(typeof type === 'string' ? { [Headers.EventType]: type } : {}),
      [Headers.TenantId]: event.tenantId,
      ...(ctx ? { [Headers.RequestId]: ctx.requestId } : {}),
      ...extra,
    };
  }
}
