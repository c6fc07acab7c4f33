import type { Admin } from 'kafkajs';
import { TOPIC_SPECS, TopicSpec } from '@custody/contracts';

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

/** Creates every missing topic with its partitions and compaction; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, layout: TopicLayout, specs: readonly TopicSpec[] = TOPIC_SPECS): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length === 0) {
    return [];
  }
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.name,
      numPartitions: layout.partitions,
      replicationFactor: layout.replicationFactor,
      configEntries: spec.compacted
        ? [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.compaction.lag.ms', value: '3600000' },
          ]
        : [],
    })),
  });
  return missing.map((spec) => spec.name);
}
