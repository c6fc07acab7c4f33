// The integration project's test environment: every test file is an environment of its own on the
// shared broker, with topics of its own. Before the file runs, its KAFKA_TOPIC_PREFIX
// (`<KAFKA_TOPIC_PREFIX of the run, default custody-test>-<random>`) is set in its process.env and
// its topics are created; after every hook of the file has run (the platforms it started are
// closed), they are deleted. So no test file reads another's events, nor those of a platform
// running beside the tests (`npm start` uses `custody`). Uses the built libs (npm test builds first).
const { randomBytes } = require('node:crypto');
const { TestEnvironment } = require('jest-environment-node');
const { Kafka, logLevel } = require('kafkajs');
const { TopicNamespace } = require('@custody/contracts');
const { deleteTopics, ensureTopics } = require('@custody/kafka');

async function withAdmin(work) {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  const admin = new Kafka({ clientId: 'custody-test-topics', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

class KafkaTopicsEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    if (!process.env.KAFKA_BROKERS) {
      return; // test/setup-env.js fails the file with the explanation
    }
    const base = process.env.KAFKA_TOPIC_PREFIX || 'custody-test';
    this.topics = new TopicNamespace(`${base}-${randomBytes(4).toString('hex')}`);
    this.global.process.env.KAFKA_TOPIC_PREFIX = this.topics.prefix;
    try {
      await withAdmin((admin) => ensureTopics(admin, { partitions: 3, replicationFactor: 1 }, this.topics));
    } catch (error) {
      await this.deleteTopics(); // what was created before the failure
      throw error;
    }
  }

  async deleteTopics() {
    const topics = this.topics;
    this.topics = undefined;
    if (topics) {
      await withAdmin((admin) => deleteTopics(admin, topics)).catch((error) => {
        process.stderr.write(`test environment: could not delete the topics ${topics.prefix}.*: ${error.message}\n`);
      });
    }
  }

  async teardown() {
    await this.deleteTopics();
    await super.teardown();
  }
}

module.exports = KafkaTopicsEnvironment;
