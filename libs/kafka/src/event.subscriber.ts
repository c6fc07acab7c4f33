import { Injectable, Logger } from '@nestjs/common';
import { Consumer, EachMessagePayload, IHeaders } from 'kafkajs';
import { EventBase, Headers, Topic, Topics, validateEvent } from '@custody/contracts';
import { kafkaMessagesConsumed, runWithContext } from '@custody/observability';
import { KafkaClient } from './kafka.client';

/** Thrown by a handler for an event that can never succeed: it goes to the dead-letter topic. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export interface EventMeta {
  topic: Topic;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
}

export interface Subscription<T extends EventBase> {
  groupId: string;
  topics: Topic[];
  fromBeginning?: boolean;
  handler: (event: T, meta: EventMeta) => Promise<void>;
}

/**
 * Runs consumers that validate every event against its schema. Offsets are committed only after
 * the handler resolved (its effect is durable); a malformed event or a PoisonMessageError goes to
 * the dead-letter topic with its error and the consumer moves on; any other error is transient
 * and the message is retried with backoff (kafkajs restarts the consumer from the last commit).
 */
@Injectable()
export class EventSubscriber {
  private readonly logger = new Logger(EventSubscriber.name);

  constructor(private readonly client: KafkaClient) {}

  async subscribe<T extends EventBase>(subscription: Subscription<T>): Promise<Consumer> {
    const consumer = this.client.consumer({
      groupId: subscription.groupId,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30000, restartOnFailure: () => Promise.resolve(true) },
    });
    await consumer.connect();
    await consumer.subscribe({ topics: subscription.topics, fromBeginning: subscription.fromBeginning ?? true });
    await consumer.run({
      autoCommit: true,
      eachMessage: (payload) => this.handle(subscription, payload),
    });
    return consumer;
  }

  private async handle<T extends EventBase>(subscription: Subscription<T>, payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message } = payload;
    const headers = decodeHeaders(message.headers);
    const meta: EventMeta = {
      topic: topic as Topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      headers,
    };
    if (message.value === null) {
      // A tombstone on a compacted topic: nothing to validate or handle.
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.value.toString('utf8'));
    } catch {
      await this.deadLetter(subscription, payload, 'value is not valid JSON');
      return;
    }
    const checked = validateEvent<T>(topic as Topic, parsed);
    if (!checked.ok) {
      await this.deadLetter(subscription, payload, `schema: ${checked.errors.join('; ')}`);
      return;
    }
    const requestId = headers[Headers.RequestId] ?? checked.event.eventId;
    await runWithContext({ requestId, tenantId: checked.event.tenantId }, async () => {
      try {
        await subscription.handler(checked.event, meta);
        kafkaMessagesConsumed.labels(topic, subscription.groupId, 'ok').inc();
      } catch (error) {
        if (error instanceof PoisonMessageError) {
          await this.deadLetter(subscription, payload, error.message);
          return;
        }
        kafkaMessagesConsumed.labels(topic, subscription.groupId, 'retried').inc();
        this.logger.warn({ msg: 'handler failed; will retry', topic, partition, offset: message.offset, err: error });
        throw error;
      }
    });
  }

  private async deadLetter(subscription: { groupId: string }, payload: EachMessagePayload, error: string): Promise<void> {
    const { topic, partition, message } = payload;
    const producer = await this.client.producer();
    await producer.send({
      topic: Topics.DeadLetter,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [Headers.DeadLetterError]: error.slice(0, 4000),
            [Headers.DeadLetterTopic]: topic,
            [Headers.DeadLetterPartition]: String(partition),
            [Headers.DeadLetterOffset]: message.offset,
            [Headers.DeadLetterGroup]: subscription.groupId,
          },
        },
      ],
    });
    kafkaMessagesConsumed.labels(topic, subscription.groupId, 'dead_lettered').inc();
    this.logger.warn({ msg: 'event dead-lettered', topic, partition, offset: message.offset, error });
  }
}

export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) {
      continue;
    }
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
