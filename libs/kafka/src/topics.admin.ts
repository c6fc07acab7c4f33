import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { TOPIC_SPECS, TopicSpec } from '@custody/contracts';

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

/**
 * Creates every missing topic with its partitions, compaction and retention. Existing topics keep
 * their partitions and cleanup policy; only a retention the spec asks for is applied to them too
 * (so a topic that must not keep personal data long gets its limit on an existing cluster).
 */
export async function ensureTopics(admin: Admin, layout: TopicLayout, specs: readonly TopicSpec[] = TOPIC_SPECS): Promise<string[]> {
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
    waitForLeaders: true,
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
  return missing.map((spec) => spec.name);
}
