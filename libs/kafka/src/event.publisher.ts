import { Injectable } from '@nestjs/common';
import { CompressionTypes, IHeaders, Message } from 'kafkajs';

const MAX_COALESCED_REQUESTS = 2000;
import { EventBase, Headers, Topic, validateEvent } from '@custody/contracts';
import { currentContext, kafkaMessagesProduced, kafkaPublishDuration } from '@custody/observability';
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
 * Publishes schema-checked events to this environment's topics (`Topics` under its prefix).
 * Resolves only once the broker has durably accepted them (acks=all on an idempotent producer),
 * so callers may acknowledge to their own clients after it.
 */
@Injectable()
export class EventPublisher {
  constructor(private readonly client: KafkaClient) {}

  async publish<T extends EventBase>(
    topic: Topic,
    key: string,
    event: T,
    headers: Record<string, string> = {},
  ): Promise<void> {
    await this.publishBatch(topic, [{ key, event, headers }]);
  }

  /**
   * Validates, then queues for the next produce request. Requests coalesce: while one is in
   * flight (the idempotent producer allows one), everything queued meanwhile goes out together
   * in the next, so throughput does not collapse to one round trip per event.
   */
  async publishBatch(topic: Topic, events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    // The event object itself is checked (its JSON form would only differ in what JSON drops,
    // `undefined` members, which optional fields allow): one serialization per event, no re-parse.
    const messages = events.map(({ key, event, headers }) => {
      const checked = validateEvent(topic, event);
      if (!checked.ok) {
        throw new EventSchemaError(topic, checked.errors);
      }
      return { key, value: JSON.stringify(event), headers: this.headersFor(event, headers ?? {}) };
    });
    const endTimer = kafkaPublishDuration.labels(topic).startTimer();
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      void this.drain();
    });
    endTimer();
  }

  /**
   * Publishes tombstones (null values) for these keys of a compacted topic, so compaction drops
   * the events they replace (e.g. the events of an erased customer). Consumers skip null values.
   */
  async publishTombstones(topic: Topic, keys: string[], tenantId: string): Promise<void> {
    if (keys.length === 0) {
      return;
    }
    await this.client.send((producer) =>
      producer.send({
        topic: this.client.topics.name(topic),
        acks: -1,
        messages: keys.map((key) => ({ key, value: null, headers: { [Headers.TenantId]: tenantId } })),
      }),
    );
    kafkaMessagesProduced.labels(topic).inc(keys.length);
  }

  private readonly queue: Array<{
    topic: Topic;
    messages: Message[];
    resolve: () => void;
    reject: (e: unknown) => void;
  }> = [];
  private draining = false;

  private async drain(): Promise<void> {
    if (this.draining) {
      return;
    }
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_COALESCED_REQUESTS);
        const byTopic = new Map<Topic, Message[]>();
        for (const item of batch) {
          const list = byTopic.get(item.topic);
          if (list) {
            for (const m of item.messages) {
              list.push(m);
            }
          } else {
            byTopic.set(item.topic, item.messages.slice());
          }
        }
        try {
          await this.client.send((producer) =>
            producer.sendBatch({
              acks: -1,
              compression: CompressionTypes.None,
              topicMessages: [...byTopic].map(([t, messages]) => ({ topic: this.client.topics.name(t), messages })),
            }),
          );
          for (const [t, messages] of byTopic) {
            kafkaMessagesProduced.labels(t).inc(messages.length);
          }
          batch.forEach((item) => item.resolve());
        } catch (error) {
          batch.forEach((item) => item.reject(error));
        }
      }
    } finally {
      this.draining = false;
    }
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
