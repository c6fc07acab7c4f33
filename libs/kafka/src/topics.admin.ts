import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { brokerTopicName, TOPIC_SPECS, TopicNamespace, TopicSpec } from '@custody/contracts';

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

/**
 * Creates every missing topic of the environment (`topics`: its prefix) with its partitions,
 * compaction and retention. Existing topics keep their partitions and cleanup policy; only a
 * retention the spec asks for is applied to them too (so a topic that must not keep personal data
 * long gets its limit on an existing cluster). Returns the broker names it created.
 */
export async function ensureTopics(
  admin: Admin,
  layout: TopicLayout,
  topics: TopicNamespace = new TopicNamespace(),
  topicSpecs: readonly TopicSpec[] = TOPIC_SPECS,
): Promise<string[]> {
  const specs = topicSpecs.map((spec) => ({ ...spec, name: brokerTopicName(spec.name, topics.prefix) }));
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  const retained = specs.filter((spec) => existing.has(spec.name) && spec.retentionMs !== undefined);
  if (retained.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: retained.map((spec) => ({
        type: ConfigResourceTypes.TOPIC,
        name: spec.name,
        configEntries: [{ name: 'retention.ms', value: String(spec.retentionMs) }],
      })),
    });
  }
  if (missing.length === 0) {
    return [];
  }
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((spec) => ({
      topic: spec.name,
      numPartitions: layout.partitions,
      replicationFactor: layout.replicationFactor,
      configEntries: [
        ...(spec.compacted
          ? [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'min.compaction.lag.ms', value: '3600000' },
            ]
          : []),
        ...(spec.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(spec.retentionMs) }] : []),
      ],
    })),
  });
  await waitForLeaders(
    admin,
    missing.map((spec) => spec.name),
  );
  return missing.map((spec) => spec.name);
}

/**
 * Waits until every partition of the new topics has a leader. (kafkajs's own wait gives up when the
 * broker does not list a just-created topic yet, which a busy broker does for a moment.)
 */
async function waitForLeaders(admin: Admin, names: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      if (
        topics.length === names.length &&
        topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
      ) {
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`topics without a leader after ${timeoutMs} ms: ${names.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Deletes every topic of the environment with this prefix (test runs and throwaway environments;
 * never used by the deployment). Returns the broker names it deleted.
 */
export async function deleteTopics(admin: Admin, topics: TopicNamespace): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const names = TOPIC_SPECS.map((spec) => topics.name(spec.name)).filter((name) => existing.has(name));
  if (names.length > 0) {
    await admin.deleteTopics({ topics: names, timeout: 30_000 });
  }
  return names;
}
