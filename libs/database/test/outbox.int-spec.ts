import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  createDataSource,
  enqueueOutboxBatch,
  enqueueOutboxDirect,
  OUTBOX_RELAY_AFTER_SQL,
  OUTBOX_TABLE_SQL,
  OutboxRecord,
  OutboxRelay,
} from '@custody/database';
import { configureLogging } from '@custody/observability';

const ownerUrl = process.env.MIGRATION_DATABASE_URL!;
// tenant-store's application role (any service's would do: the outbox has no row-level security).
const appUrl = (process.env.TENANT_STORE_DATABASE_URL || process.env.DATABASE_URL)!;
const appRole = decodeURIComponent(new URL(appUrl).username);
const schema = `outbox_it_${randomUUID().slice(0, 8)}`;

/**
 * The outbox on the message path: rows the committing process publishes itself leave from memory
 * and are deleted; the poller leaves them alone during their grace and is the fallback after it.
 */
describe('outbox relay, direct publishing with the poller as fallback (real PostgreSQL)', () => {
  let dataSource: DataSource;
  const published: OutboxRecord[][] = [];
  let failNext = false;
  let relay: OutboxRelay;
  /** Keys whose events the publisher refuses for their schema, as EventPublisher does. */
  const malformed = new Set<string>();

  const rows = async (): Promise<Array<{ key: string; due: boolean }>> =>
    dataSource.query(`SELECT key, relay_after <= now() AS due FROM outbox ORDER BY id`);

  beforeAll(async () => {
    configureLogging('outbox-test', 'silent');
    const owner = new Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(`CREATE SCHEMA ${schema}`);
    await owner.query(`SET search_path TO ${schema}`);
    await owner.query(OUTBOX_TABLE_SQL);
    await owner.query(OUTBOX_RELAY_AFTER_SQL);
    await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${appRole}`);
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.outbox TO ${appRole}`);
    await owner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${appRole}`);
    await owner.end();
    dataSource = createDataSource({
      url: appUrl,
      schema,
      entities: [],
      poolSize: 4,
      applicationName: 'outbox-int-test',
    });
    await dataSource.initialize();
    relay = new OutboxRelay(dataSource, async (records) => {
      if (failNext) {
        failNext = false;
        throw new Error('broker refused');
      }
      if (records.some((r) => malformed.has(r.key))) {
        throw Object.assign(new Error('event for t does not match its schema'), { name: 'EventSchemaError' });
      }
      published.push(records);
    });
  });

  afterAll(async () => {
    await relay?.stop();
    await dataSource?.destroy();
    const owner = new Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await owner.end();
  });

  it('publishes committed rows from memory in order, then deletes them; the poller does not take them meanwhile', async () => {
    const records = await dataSource.transaction((m) =>
      enqueueOutboxDirect(m, [
        { topic: 't', key: 'a', payload: { n: 1, text: 'quotes " and \\ backslashes' } },
        { topic: 't', key: 'b', payload: { n: 2 }, headers: { h: 'v' } },
        { topic: 'u', key: 'c', payload: { n: 3 } },
      ]),
    );
    expect(records.map((r) => [r.key, r.payload])).toEqual([
      ['a', { n: 1, text: 'quotes " and \\ backslashes' }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ]);
    expect(new Set(records.map((r) => r.id)).size).toBe(3);
    // In their grace: the poller leaves them to the process that committed them.
    expect(await rows()).toEqual([
      { key: 'a', due: false },
      { key: 'b', due: false },
      { key: 'c', due: false },
    ]);
    expect(await relay.flush()).toBe(0);
    // The database holds the payloads as given (one JSON document, no escaping mangled).
    const stored: Array<{ payload: unknown; headers: unknown }> = await dataSource.query(
      `SELECT payload, headers FROM outbox ORDER BY id`,
    );
    expect(stored.map((s) => s.payload)).toEqual([{ n: 1, text: 'quotes " and \\ backslashes' }, { n: 2 }, { n: 3 }]);
    expect(stored[1].headers).toEqual({ h: 'v' });

    await relay.publishCommitted(records);
    expect(published).toEqual([records]);
    for (let i = 0; i < 50 && (await rows()).length > 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await rows()).toEqual([]);
  });

  it('a direct publish that fails leaves its rows, and the poller publishes them once their grace is over', async () => {
    published.length = 0;
    const records = await dataSource.transaction((m) =>
      enqueueOutboxDirect(m, [{ topic: 't', key: 'late', payload: { n: 4 } }]),
    );
    failNext = true;
    await expect(relay.publishCommitted(records)).resolves.toBeUndefined();
    expect(published).toEqual([]);
    expect(await relay.flush()).toBe(0);
    // The grace passes (the committing process died or the broker refused).
    await dataSource.query(`UPDATE outbox SET relay_after = now() - interval '1 second'`);
    expect(await relay.flush()).toBe(1);
    expect(published.map((batch) => batch.map((r) => [r.key, r.payload]))).toEqual([[['late', { n: 4 }]]]);
    expect(await rows()).toEqual([]);
  });

  it('rows enqueued for the poller are due at once', async () => {
    published.length = 0;
    await dataSource.transaction((m) => enqueueOutboxBatch(m, [{ topic: 't', key: 'polled', payload: { n: 5 } }]));
    expect(await rows()).toEqual([{ key: 'polled', due: true }]);
    expect(await relay.flush()).toBe(1);
    expect(published.flat().map((r) => r.key)).toEqual(['polled']);
  });

  it('an event that can never be published is parked, not retried forever, and the rows behind it still go', async () => {
    published.length = 0;
    malformed.add('poison');
    await dataSource.transaction((m) =>
      enqueueOutboxBatch(m, [
        { topic: 't', key: 'before', payload: { n: 1 } },
        { topic: 't', key: 'poison', payload: { n: 2 } },
        { topic: 't', key: 'after', payload: { n: 3 } },
      ]),
    );
    expect(await relay.flush()).toBe(3);
    expect(published.flat().map((r) => r.key)).toEqual(['before', 'after']);
    // Kept for an operator, never due again: a second flush publishes nothing and loses nothing.
    expect(await rows()).toEqual([{ key: 'poison', due: false }]);
    expect(await relay.flush()).toBe(0);
    expect(await rows()).toEqual([{ key: 'poison', due: false }]);
    await dataSource.query(`DELETE FROM outbox`);
  });
});
