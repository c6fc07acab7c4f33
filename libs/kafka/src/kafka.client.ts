import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  Admin,
  Consumer,
  ConsumerConfig,
  ISocketFactory,
  Kafka,
  logLevel,
  Partitioners,
  Producer,
  RetryOptions,
} from 'kafkajs';
import { TopicNamespace } from '@custody/contracts';
import { KafkaSettings, toKafkaConfig } from './kafka-settings';
import { kafkaLogCreator } from './kafka-logging';

/** A send did not complete within the delivery timeout; the producer was replaced (see `send`). */
export class KafkaDeliveryTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge the send within ${timeoutMs} ms`);
    this.name = 'KafkaDeliveryTimeoutError';
  }
}

interface ConsumerEntry {
  groupId: string;
  /** The consumer's own broker connections, so a consumer that will not stop can be cut off. */
  sockets: Set<Socket>;
  closed: boolean;
}

/**
 * Owns the broker connections of one process: one idempotent producer, one admin, its consumers.
 *
 * Shutdown runs in two steps. Before any `onApplicationShutdown` hook (so the database, the outbox
 * and the producer are still there), every consumer finishes the batch in hand, commits and leaves
 * its group; a consumer that has not stopped within `consumerStopTimeoutMs` (a handler that hangs,
 * a group join the coordinator holds open for the rebalance timeout) has its connections closed,
 * and shutdown goes on: its uncommitted events are delivered again to the next member (handlers
 * are idempotent). Then the producer and the admin disconnect.
 */
@Injectable()
export class KafkaClient implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaClient.name);
  readonly kafka: Kafka;
  /** This environment's topic names (from `topicPrefix`), resolved once. */
  readonly topics: TopicNamespace;
  private producerPromise?: Promise<Producer>;
  private adminPromise?: Promise<Admin>;
  private readonly consumers = new Map<Consumer, ConsumerEntry>();
  private stopping = false;

  constructor(readonly settings: KafkaSettings) {
    this.topics = new TopicNamespace(settings.topicPrefix);
    this.kafka = new Kafka({ ...toKafkaConfig(settings), logLevel: logLevel.WARN, logCreator: kafkaLogCreator });
  }

  /**
   * The idempotent producer (acks=all is set per send); connected on first use. It retries a
   * failing request without limit, as idempotence requires: a retry re-sends the same sequence
   * numbers, which the broker deduplicates. Giving up after N retries and then sending the next
   * batch would reuse those numbers, and the broker could take the new batch for a duplicate of
   * one it did write and drop it. The bound callers need comes from `send`'s delivery timeout.
   */
  producer(): Promise<Producer> {
    this.producerPromise ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: Number.MAX_SAFE_INTEGER },
        // kafkajs' default since v2, named so that it stops warning about it in every app's log.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producerPromise = undefined;
      throw error;
    });
    return this.producerPromise;
  }

  /**
   * Runs a send on the producer, waiting at most `deliveryTimeoutMs` (default 30 s). On timeout
   * the caller gets a KafkaDeliveryTimeoutError (and may retry: at least once), and the producer
   * is replaced before anything else is sent: only a new producer id makes the next batch's
   * sequence numbers unambiguous. The abandoned send keeps retrying until the broker answers (it
   * may still land, a duplicate that idempotent consumers absorb); then its producer disconnects.
   */
  async send<T>(work: (producer: Producer) => Promise<T>): Promise<T> {
    const timeoutMs = this.settings.deliveryTimeoutMs ?? 30_000;
    const current = this.producer();
    const sending = current.then(work);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaDeliveryTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([sending, timedOut]);
    } catch (error) {
      if (error instanceof KafkaDeliveryTimeoutError && this.producerPromise === current) {
        this.producerPromise = undefined;
        this.logger.warn({ msg: 'send not acknowledged in time; replacing the idempotent producer', timeoutMs });
        void sending
          .catch(() => undefined)
          .then(() => current)
          .then((p) => p.disconnect())
          .catch(() => undefined);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
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

  /**
   * A consumer on connections of its own. Once the client is stopping, a crashed consumer is not
   * restarted (kafkajs would otherwise rejoin the group after the app closed).
   */
  consumer(config: ConsumerConfig): Consumer {
    const entry: ConsumerEntry = { groupId: config.groupId, sockets: new Set(), closed: false };
    const kafka = new Kafka({
      ...toKafkaConfig(this.settings),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator,
      socketFactory: trackedSocketFactory(entry),
    });
    const restartOnFailure = config.retry?.restartOnFailure;
    const retry: RetryOptions = {
      ...config.retry,
      restartOnFailure: async (error) => !this.stopping && (restartOnFailure ? await restartOnFailure(error) : true),
    };
    const consumer = kafka.consumer({ allowAutoTopicCreation: false, ...config, retry });
    this.consumers.set(consumer, entry);
    return consumer;
  }

  /** True once the consumers are being stopped (the app is shutting down). */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Readiness: the cluster answers a metadata request. */
  async ping(): Promise<void> {
    const admin = await this.admin();
    await admin.describeCluster();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopConsumers();
  }

  /** Stops every consumer, each bounded by `consumerStopTimeoutMs` (see the class comment). */
  async stopConsumers(): Promise<void> {
    this.stopping = true;
    const timeoutMs = this.settings.consumerStopTimeoutMs ?? 10_000;
    const consumers = [...this.consumers];
    this.consumers.clear();
    await Promise.all(
      consumers.map(async ([consumer, entry]) => {
        const stopped = consumer.disconnect().then(
          () => true,
          () => true,
        );
        if (await within(stopped, timeoutMs)) {
          return;
        }
        this.logger.warn({
          msg: 'consumer did not stop in time; closing its connections',
          groupId: entry.groupId,
          timeoutMs,
        });
        entry.closed = true;
        entry.sockets.forEach((socket) => socket.destroy(stoppedError()));
        await within(stopped, 1000);
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopConsumers();
    const producer = this.producerPromise;
    const admin = this.adminPromise;
    this.producerPromise = undefined;
    this.adminPromise = undefined;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
    this.logger.log('kafka connections closed');
  }
}

/** Whether the promise settled within the time (it is not cancelled either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * kafkajs's own way of connecting (TCP or TLS, keep-alive), remembering the sockets so they can be
 * closed; a consumer that was cut off gets no new connection.
 */
function trackedSocketFactory(entry: ConsumerEntry): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    entry.sockets.add(socket);
    socket.once('close', () => entry.sockets.delete(socket));
    if (entry.closed) {
      socket.destroy(stoppedError());
    }
    return socket;
  };
}

/**
 * Sockets are destroyed with an error: kafkajs listens for `error` and `end` (not `close`), and only
 * an error fails the requests waiting on the connection at once instead of at their timeout.
 */
function stoppedError(): Error {
  return new Error('consumer stopped: connection closed by the shutdown bound');
}
