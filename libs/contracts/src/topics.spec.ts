import { DEFAULT_TOPIC_PREFIX, TopicNamespace, Topics, TOPIC_SPECS } from './topics';

describe('TopicNamespace', () => {
  it('keeps the contract names under the default prefix', () => {
    const ns = new TopicNamespace();
    expect(ns.prefix).toBe(DEFAULT_TOPIC_PREFIX);
    for (const topic of Object.values(Topics)) {
      expect(ns.name(topic)).toBe(topic);
      expect(ns.topicOf(topic)).toBe(topic);
    }
  });

  it("replaces 'custody' with the environment's prefix, both ways", () => {
    const ns = new TopicNamespace('staging-2');
    expect(ns.name(Topics.MessagesInbound)).toBe('staging-2.messages.inbound.v1');
    expect(ns.name(Topics.DeadLetter)).toBe('staging-2.dlq.v1');
    expect(ns.topicOf('staging-2.messages.inbound.v1')).toBe(Topics.MessagesInbound);
    // Another environment's names are not this one's topics.
    expect(ns.topicOf(Topics.MessagesInbound)).toBeUndefined();
    expect(ns.topicOf('staging-3.messages.inbound.v1')).toBeUndefined();
  });

  it('gives every topic spec a distinct name per prefix', () => {
    const a = new TopicNamespace('env-a');
    const b = new TopicNamespace('env-b');
    const names = TOPIC_SPECS.flatMap((s) => [a.name(s.name), b.name(s.name)]);
    expect(new Set(names).size).toBe(TOPIC_SPECS.length * 2);
  });

  it('rejects a prefix Kafka would not accept in a topic name', () => {
    for (const bad of ['', 'has space', 'slash/x', '.leading', 'x'.repeat(101), 'ünï']) {
      expect(() => new TopicNamespace(bad)).toThrow(/topic prefix/);
    }
  });

  it('refuses a name that is not a Custody topic', () => {
    expect(() => new TopicNamespace().name('custody.nope.v1' as never)).toThrow(/not a Custody topic/);
  });
});
