// Kafka side of the message benchmark: topic end offsets (events per message), other
// environments on the broker, a sample of the events a run produced (their real sizes, keys and
// headers), and the like-for-like produce ceiling with the apps' own producer and publisher.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { logLevel } from 'kafkajs';

const require = createRequire(import.meta.url);

/** The broker names of an environment's topics (a TopicNamespace of @custody/contracts) that exist. */
export async function pathTopics(admin, namespace, Topics) {
  const existing = new Set(await admin.listTopics());
  return Object.values(Topics)
    .map((t) => namespace.name(t))
    .filter((name) => existing.has(name))
    .sort();
}

/** Partition counts and replication of these topics (read while they exist). */
export async function topicLayout(admin, topics) {
  const meta = await admin.fetchTopicMetadata({ topics });
  return Object.fromEntries(
    meta.topics.map((t) => [
      t.name,
      { partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 1 },
    ]),
  );
}

/** End offset of every partition: { topic: { partition: high } }. */
export async function endOffsets(admin, topics) {
  const entries = await Promise.all(
    topics.map(async (topic) => [
      topic,
      Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])),
    ]),
  );
  return Object.fromEntries(entries);
}

/** Events written per topic between two `endOffsets` readings. */
export function eventsBetween(before, after) {
  const out = {};
  for (const [topic, parts] of Object.entries(after)) {
    let n = 0;
    for (const [p, high] of Object.entries(parts)) n += high - (before[topic]?.[p] ?? 0);
    out[topic] = n;
  }
  return out;
}

/**
 * Consumer groups with members that are not this run's (another `npm start`, a test run, an
 * earlier benchmark still running): they share the broker, and its CPU, with the benchmark.
 */
export async function otherEnvironments(admin, isOurs) {
  const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => !isOurs(g));
  if (ids.length === 0) return [];
  const { groups } = await admin.describeGroups(ids);
  return groups.filter((g) => g.members.length > 0 && !['Empty', 'Dead'].includes(g.state)).map((g) => g.groupId);
}

/**
 * Reads back up to `perTopic` events of each topic from the offset ranges a phase wrote
 * (`from`/`to`: endOffsets before and after), so the ceiling can publish the same bytes.
 * Returns { topic: [{ key, value, headers }] }.
 */
export async function sampleEvents(kafka, from, to, perTopic = 2000, timeoutMs = 20_000) {
  const topics = Object.keys(to).filter((t) => Object.entries(to[t]).some(([p, high]) => high > (from[t]?.[p] ?? 0)));
  const samples = Object.fromEntries(topics.map((t) => [t, []]));
  if (topics.length === 0) return samples;
  const groupId = `bench-sample-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxBytes: 8 << 20 });
  const pending = new Set(
    topics.flatMap((t) =>
      Object.keys(to[t])
        .filter((p) => to[t][p] > (from[t]?.[p] ?? 0))
        .map((p) => `${t}/${p}`),
    ),
  );
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const { topic, partition } = batch;
        const end = to[topic][partition];
        const list = samples[topic];
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < (from[topic]?.[partition] ?? 0)) continue;
          if (offset >= end || list.length >= perTopic) break;
          list.push({ key: m.key, value: m.value, headers: m.headers });
        }
        const last = Number(batch.messages.at(-1)?.offset ?? -1);
        if (last + 1 >= end || list.length >= perTopic) {
          for (const p of Object.keys(to[topic])) if (list.length >= perTopic) pending.delete(`${topic}/${p}`);
          pending.delete(`${topic}/${partition}`);
        }
        if (pending.size === 0) done();
      },
    });
    for (const topic of topics) {
      for (const p of Object.keys(to[topic])) {
        const start = from[topic]?.[p] ?? 0;
        if (to[topic][p] > start) consumer.seek({ topic, partition: Number(p), offset: String(start) });
      }
    }
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return samples;
}

/**
 * The ceiling: the events `messages` messages cause (per topic, from the run), with the sizes,
 * keys and headers of real events of the run, published through the apps' own producer
 * (libs/kafka KafkaClient: idempotent, maxInFlightRequests 1, acks=all, same client settings) and
 * the apps' own coalescing queue (libs/kafka EventPublisher; without its schema check, which is
 * app CPU, not broker capacity), one producer per producing app, `callers` concurrent publishers
 * on each, into throwaway topics with the partition counts of the real ones, for `maxSeconds`
 * (cycling through the events of `messages` messages). Nothing else runs meanwhile (the caller
 * stops the apps first).
 */
export async function kafkaCeiling({
  admin,
  samples,
  layout,
  eventsPerMessage,
  messages,
  producers = 2,
  callers = 64,
  maxSeconds = 10,
  probe = () => null,
}) {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  require('@nestjs/common').Logger.overrideLogger(['error']);
  const { KafkaClient, EventPublisher, kafkaSettingsFromEnv } = require('@custody/kafka');
  // Keys are logical topic names (`messages.stored.v1`); the run's own topics are gone by now.
  const topics = Object.keys(eventsPerMessage).filter((t) => eventsPerMessage[t] > 0 && samples[t]?.length > 0);
  // An environment of its own: topics `bench-ceiling-<id>.<logical name>`, which the apps'
  // client resolves from the logical topic (`custody.<logical name>`) as it does for an app.
  const namespace = `bench-ceiling-${randomUUID().slice(0, 8)}`;
  const prefix = `${namespace}.`;
  const names = topics.map((t) => prefix + t);
  // Right after the run's own topics were deleted the controller can be slow to elect leaders for
  // new ones: wait until every partition has a leader (kafkajs' own wait gives up sooner).
  await admin
    .createTopics({
      waitForLeaders: false,
      topics: topics.map((t) => ({
        topic: prefix + t,
        numPartitions: layout[t]?.partitions ?? 3,
        replicationFactor: layout[t]?.replicationFactor ?? 1,
      })),
    })
    .catch((error) => {
      if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
    });
  for (let i = 0; ; i += 1) {
    const meta = await admin.fetchTopicMetadata({ topics: names }).catch(() => undefined);
    if (meta?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    if (i > 120) throw new Error(`ceiling topics ${names.join(', ')} have no leaders after 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // The work: for each topic, round(messages × events per message) of its sampled events, interleaved.
  const work = [];
  for (const t of topics) {
    const n = Math.round(messages * eventsPerMessage[t]);
    for (let i = 0; i < n; i += 1) work.push({ topic: `custody.${t}`, message: samples[t][i % samples[t].length] });
  }
  for (let i = work.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [work[i], work[j]] = [work[j], work[i]];
  }
  const clients = Array.from(
    { length: producers },
    (_, i) =>
      new KafkaClient({
        ...kafkaSettingsFromEnv(`bench-ceiling-${i}`),
        topicPrefix: namespace,
        groupPrefix: namespace,
        logLevel: logLevel.NOTHING,
      }),
  );
  let appsQueue = true;
  const publishers = clients.map((client) => {
    const pub = new EventPublisher(client);
    if (!Array.isArray(pub.queue) || typeof pub.drain !== 'function') appsQueue = false;
    return pub;
  });
  /** The publisher's queue with pre-serialised events (what publishBatch queues after its check). */
  const enqueue = (pub, client, topic, m) =>
    appsQueue
      ? new Promise((resolve, reject) => {
          pub.queue.push({ topic, messages: [{ key: m.key, value: m.value, headers: m.headers }], resolve, reject });
          void pub.drain();
        })
      : client.send((p) =>
          p.sendBatch({
            acks: -1,
            topicMessages: [
              {
                topic: client.topics?.name(topic) ?? topic,
                messages: [{ key: m.key, value: m.value, headers: m.headers }],
              },
            ],
          }),
        );
  try {
    await Promise.all(clients.map((c) => c.producer()));
    // Warm-up: one event per topic and producer (metadata, connections), not counted; retried while
    // the brand-new topics' metadata settles.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await Promise.all(
          clients.flatMap((c, i) => topics.map((t) => enqueue(publishers[i], c, `custody.${t}`, samples[t][0]))),
        );
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    let next = 0;
    let sent = 0;
    let bytes = 0;
    const deadline = performance.now() + maxSeconds * 1000;
    const before = probe();
    const t0 = performance.now();
    await Promise.all(
      clients.flatMap((client, ci) =>
        Array.from({ length: callers }, async () => {
          while (performance.now() < deadline) {
            const w = work[next++ % work.length];
            await enqueue(publishers[ci], client, w.topic, w.message);
            sent += 1;
            bytes += (w.message.value?.length ?? 0) + (w.message.key?.length ?? 0);
          }
        }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = probe();
    return {
      eventsPerSecond: sent / seconds,
      events: sent,
      seconds,
      probes: [before, after],
      meanEventBytes: sent ? bytes / sent : 0,
      producers,
      callersPerProducer: callers,
      coalescing: appsQueue
        ? 'EventPublisher queue (libs/kafka)'
        : 'one sendBatch per event (EventPublisher internals not found)',
      topics: Object.fromEntries(
        topics.map((t) => [t, { eventsPerMessage: eventsPerMessage[t], sampled: samples[t].length }]),
      ),
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.onApplicationShutdown()));
    await admin.deleteTopics({ topics: topics.map((t) => prefix + t) }).catch(() => undefined);
  }
}
