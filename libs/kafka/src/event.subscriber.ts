import { Injectable, Logger } from '@nestjs/common';
import { Consumer, EachMessagePayload, IHeaders } from 'kafkajs';
import { EventBase, Headers, Topic, Topics, validateEvent } from '@custody/contracts';
import { kafkaConsumeLag, kafkaHandlerDuration, kafkaMessagesConsumed, runWithContext } from '@custody/observability';
import { KafkaClient } from './kafka.client';

/**
 * kafkajs restarts a crashed consumer only after a retriable error; some errors of a broker
 * restart reach it as non-retriable (e.g. "Failed to find group coordinator" while the new broker
 * loads its groups), and the consumer would then stay stopped until the app restarts. Such a
 * consumer is subscribed again (`again`: a fresh consumer of the same group), after 1 s and
 * backing off up to 30 s while that fails, unless the app is stopping.
 */
export function resubscribeAfterFatalCrash(
  consumer: Pick<Consumer, 'on' | 'events' | 'disconnect'>,
  groupId: string,
  isStopping: () => boolean,
  again: () => Promise<unknown>,
  logger: Pick<Logger, 'warn' | 'log'>,
): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart || isStopping()) {
      return;
    }
    logger.warn({
      msg: 'consumer crashed and kafkajs will not restart it; subscribing again',
      group: groupId,
      err: e.payload.error,
    });
    const retry = (delayMs: number): void => {
      setTimeout(() => {
        if (isStopping()) {
          return;
        }
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => again())
          .then(
            () => logger.log({ msg: 'consumer subscribed again after its crash', group: groupId }),
            (error: unknown) => {
              logger.warn({ msg: 'cannot subscribe again yet; retrying', group: groupId, err: error });
              retry(Math.min(delayMs * 2, 30_000));
            },
          );
      }, delayMs).unref();
    };
    retry(1000);
  });
}

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

export interface BatchSubscription<T extends EventBase> {
  groupId: string;
  topics: Topic[];
  fromBeginning?: boolean;
  /**
   * Runs once per chunk of a fetched batch (one partition) with every valid event; must be
   * idempotent. It may return events it can never process (e.g. of an unknown tenant), which
   * go to the dead-letter topic with the given error.
   */
  handler: (events: Array<{ event: T; meta: EventMeta }>) => Promise<void | Array<{ meta: EventMeta; error: string }>>;
  /** At most this many events per handler call (default 500). */
  maxBatch?: number;
  /**
   * How many partitions' batches are handled at once (default 3, the topics' default partition
   * count). Order within a partition (a conversation) is kept; separate partitions overlap their
   * database round trips instead of queueing behind each other.
   */
  partitionsConcurrently?: number;
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
    const consumer = await this.connect(subscription, () => this.subscribe(subscription));
    await consumer.run({
      autoCommit: true,
      eachMessage: (payload) => this.handle(subscription, payload),
    });
    return consumer;
  }

  /**
   * Batch mode for high-volume topics: invalid events are dead-lettered, the valid ones go to
   * the handler in chunks; offsets are resolved and committed only after each chunk's handler
   * resolved, so a crash replays at most the chunk in flight (handlers are idempotent).
   */
  async subscribeBatch<T extends EventBase>(subscription: BatchSubscription<T>): Promise<Consumer> {
    const consumer = await this.connect(subscription, () => this.subscribeBatch(subscription));
    const maxBatch = subscription.maxBatch ?? 500;
    await consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: subscription.partitionsConcurrently ?? 3,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        const topic = this.topicOf(batch.topic);
        for (let start = 0; start < batch.messages.length; start += maxBatch) {
          if (!isRunning() || isStale()) {
            return;
          }
          const chunk = batch.messages.slice(start, start + maxBatch);
          const taken = Date.now();
          const lag = kafkaConsumeLag.labels(topic, subscription.groupId);
          for (const message of chunk) {
            lag.observe(Math.max(0, taken - Number(message.timestamp)) / 1000);
          }
          const valid: Array<{ event: T; meta: EventMeta }> = [];
          // Dead letters of the chunk leave in one produce request (a backlog of another
          // environment's events must not cost one round trip each).
          const dead: Array<{ payload: EachMessagePayload; error: string }> = [];
          for (const message of chunk) {
            if (message.value === null) {
              continue;
            }
            const payload = { topic: batch.topic, partition: batch.partition, message } as EachMessagePayload;
            let parsed: unknown;
            try {
              parsed = JSON.parse(message.value.toString('utf8'));
            } catch {
              dead.push({ payload, error: 'value is not valid JSON' });
              continue;
            }
            const checked = validateEvent<T>(topic, parsed);
            if (!checked.ok) {
              dead.push({ payload, error: `schema: ${checked.errors.join('; ')}` });
              continue;
            }
            valid.push({
              event: checked.event,
              meta: {
                topic,
                partition: batch.partition,
                offset: message.offset,
                key: message.key?.toString() ?? null,
                headers: decodeHeaders(message.headers),
              },
            });
          }
          if (valid.length > 0) {
            let rejected: void | Array<{ meta: EventMeta; error: string }>;
            const endTimer = kafkaHandlerDuration.labels(topic, subscription.groupId).startTimer();
            try {
              rejected = await subscription.handler(valid);
              endTimer();
              kafkaMessagesConsumed
                .labels(topic, subscription.groupId, 'ok')
                .inc(valid.length - (rejected?.length ?? 0));
            } catch (error) {
              kafkaMessagesConsumed.labels(topic, subscription.groupId, 'retried').inc(valid.length);
              this.logger.warn({
                msg: 'batch handler failed; will retry',
                topic,
                partition: batch.partition,
                err: error,
              });
              throw error;
            }
            const byOffset = new Map(chunk.map((m) => [m.offset, m]));
            for (const { meta, error } of rejected ?? []) {
              const message = byOffset.get(meta.offset);
              if (message) {
                dead.push({
                  payload: { topic: batch.topic, partition: batch.partition, message } as EachMessagePayload,
                  error,
                });
              }
            }
          }
          await this.deadLetterMany(subscription, dead);
          resolveOffset(chunk[chunk.length - 1].offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
    return consumer;
  }

  /**
   * A connected, subscribed consumer of the subscription's group. The broker waits at most
   * `rebalanceTimeout` for members to rejoin a rebalancing group (kafkajs defaults to 60 s, which
   * a stopping member's final join could wait out); members rejoin between chunks, which take
   * seconds. Fetches wait at most 1 s for data, so an idle consumer heartbeats every second and
   * stops without waiting out a long poll. `again` subscribes anew after a crash kafkajs will not
   * restart (resubscribeAfterFatalCrash).
   */
  private async connect(
    subscription: { groupId: string; topics: Topic[]; fromBeginning?: boolean },
    again: () => Promise<Consumer>,
  ): Promise<Consumer> {
    const consumer = this.client.consumer({
      groupId: this.groupName(subscription.groupId),
      sessionTimeout: 10000,
      rebalanceTimeout: 20000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 1000,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30000 },
    });
    resubscribeAfterFatalCrash(consumer, subscription.groupId, () => this.client.isStopping, again, this.logger);
    await consumer.connect();
    await consumer.subscribe({
      topics: subscription.topics.map((topic) => this.client.topics.name(topic)),
      fromBeginning: this.fromBeginning(subscription.fromBeginning),
    });
    return consumer;
  }

  private fromBeginning(requested: boolean | undefined): boolean {
    return (requested ?? true) && this.client.settings.newGroupStart !== 'latest';
  }

  /** The consumer group actually used: `<prefix>.<name>`. */
  groupName(name: string): string {
    return `${this.client.settings.groupPrefix ?? this.client.topics.prefix}.${name}`;
  }

  /** The contract topic of a broker topic this process subscribed to (only its own environment's). */
  private topicOf(name: string): Topic {
    const topic = this.client.topics.topicOf(name);
    if (topic === undefined) {
      throw new Error(`${name} is not a topic of this environment (prefix ${this.client.topics.prefix})`);
    }
    return topic;
  }

  private async handle<T extends EventBase>(subscription: Subscription<T>, payload: EachMessagePayload): Promise<void> {
    const { partition, message } = payload;
    const topic = this.topicOf(payload.topic);
    const headers = decodeHeaders(message.headers);
    const meta: EventMeta = {
      topic,
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
    const checked = validateEvent<T>(topic, parsed);
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

  private deadLetter(subscription: { groupId: string }, payload: EachMessagePayload, error: string): Promise<void> {
    return this.deadLetterMany(subscription, [{ payload, error }]);
  }

  /** Sends events to the dead-letter topic, with their error and origin in headers, in one request. */
  private async deadLetterMany(
    subscription: { groupId: string },
    items: Array<{ payload: EachMessagePayload; error: string }>,
  ): Promise<void> {
    if (items.length === 0) {
      return;
    }
    await this.client.send((producer) =>
      producer.send({
        topic: this.client.topics.name(Topics.DeadLetter),
        acks: -1,
        messages: items.map(({ payload: { topic, partition, message }, error }) => ({
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [Headers.DeadLetterError]: error.slice(0, 4000),
            [Headers.DeadLetterTopic]: topic,
            [Headers.DeadLetterPartition]: String(partition),
            [Headers.DeadLetterOffset]: message.offset,
            [Headers.DeadLetterGroup]: this.groupName(subscription.groupId),
          },
        })),
      }),
    );
    for (const { payload } of items) {
      kafkaMessagesConsumed
        .labels(this.client.topics.topicOf(payload.topic) ?? payload.topic, subscription.groupId, 'dead_lettered')
        .inc();
    }
    const [{ payload: first, error }] = items;
    if (items.length === 1) {
      this.logger.warn({
        msg: 'event dead-lettered',
        topic: first.topic,
        partition: first.partition,
        offset: first.message.offset,
        error,
      });
    } else {
      // One line per request: a backlog of thousands must not flood the log.
      this.logger.warn({
        msg: 'events dead-lettered',
        count: items.length,
        topic: first.topic,
        partition: first.partition,
        offsets: items.slice(0, 20).map((i) => i.payload.message.offset),
        errors: [...new Set(items.map((i) => i.error))].slice(0, 5),
      });
    }
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
