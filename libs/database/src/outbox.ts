import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';

export interface OutboxRecord {
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * SQL for a service's outbox table, for its migrations. Not tenant-scoped: only the relay reads it.
 * (`relay_after` is added by OUTBOX_RELAY_AFTER_SQL in a later migration of each service.)
 */
export const OUTBOX_TABLE_SQL = `CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * When the poller may take a row. Rows the committing process publishes itself (see
 * `enqueueOutboxDirect`) wait this long first, so the poller only picks them up when that process
 * died or could not publish; every other row is due at once.
 */
export const OUTBOX_RELAY_AFTER_SQL = `ALTER TABLE outbox ADD COLUMN relay_after timestamptz NOT NULL DEFAULT now()`;

/**
 * The migration that adds `relay_after` to a service's outbox; every service lists this one class
 * in its migrations (each service has its own schema and migrations table).
 */
export class OutboxRelayAfter1764900000001 implements MigrationInterface {
  name = 'OutboxRelayAfter1764900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_RELAY_AFTER_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN relay_after`);
  }
}

/** How long a directly published outbox row is left to its own process before the poller may take it. */
export const DIRECT_RELAY_GRACE_SECONDS = 10;

/** Adds an event to the outbox inside the caller's transaction: it is published iff the transaction commits. */
export async function enqueueOutbox(
  manager: EntityManager,
  topic: string,
  key: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  await manager.query(`INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4)`, [
    topic,
    key,
    JSON.stringify(payload),
    JSON.stringify(headers),
  ]);
}

type OutboxRow = { topic: string; key: string; payload: unknown; headers?: Record<string, string> };

/** Adds many events to the outbox in one statement, inside the caller's transaction, for the poller to publish. */
export async function enqueueOutboxBatch(manager: EntityManager, rows: OutboxRow[]): Promise<void> {
  await insertOutboxRows(manager, rows, 0);
}

/**
 * Adds events to the outbox inside the caller's transaction, for the caller to publish itself
 * right after the commit (`OutboxService.publishCommitted`) instead of the poller re-reading them:
 * the rows are the durable fallback (published by the poller after DIRECT_RELAY_GRACE_SECONDS if
 * the process dies before it published them, or the broker refused). Returns the records with
 * their ids, the payloads as given (not re-read from the database).
 */
export async function enqueueOutboxDirect(manager: EntityManager, rows: OutboxRow[]): Promise<OutboxRecord[]> {
  const ids = await insertOutboxRows(manager, rows, DIRECT_RELAY_GRACE_SECONDS);
  return rows.map((r, i) => ({
    id: ids[i],
    topic: r.topic,
    key: r.key,
    payload: r.payload,
    headers: r.headers ?? {},
  }));
}

/** Inserts the rows in one statement, due to the poller after `graceSeconds`; their ids in the rows' order. */
async function insertOutboxRows(manager: EntityManager, rows: OutboxRow[], graceSeconds: number): Promise<string[]> {
  if (rows.length === 0) {
    return [];
  }
  // One JSON document for the batch (one native stringify, parsed once by PostgreSQL) rather than
  // array parameters, which pg escapes element by element: the payloads are most of the bytes.
  const inserted: Array<{ id: string }> = await manager.query(
    `INSERT INTO outbox (topic, key, payload, headers, relay_after)
     SELECT x.r->>'t', x.r->>'k', (x.r->'p')::jsonb, (x.r->'h')::jsonb, now() + make_interval(secs => $2)
       FROM json_array_elements($1::json) WITH ORDINALITY AS x(r, n)
      ORDER BY x.n
     RETURNING id`,
    [JSON.stringify(rows.map((r) => ({ t: r.topic, k: r.key, p: r.payload, h: r.headers ?? {} }))), graceSeconds],
  );
  // The rows are inserted in the batch's order, and RETURNING follows the insert order.
  return inserted.map((r) => r.id);
}

/**
 * Publishes outbox rows in id order and deletes them once the broker accepted them. Safe with
 * several replicas (row locks with SKIP LOCKED); at-least-once, and consumers are idempotent.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  private wakeRequested = false;
  private readonly publishedIds: string[] = [];
  private deleting?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publish: (records: OutboxRecord[]) => Promise<void>,
    private readonly options: { intervalMs?: number; batchSize?: number } = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running || this.deleting) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Called after a commit that enqueued something, so the event leaves without waiting for the poll. */
  wake(): void {
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Publishes rows its caller has just committed (from memory, in commit order), then deletes
   * them, in one statement for everything published meanwhile. Never throws: on failure the
   * rows stay, and the poller publishes them once their grace is over (at least once).
   */
  publishCommitted(records: OutboxRecord[]): Promise<void> {
    if (records.length === 0) {
      return Promise.resolve();
    }
    return this.publish(records).then(
      () => {
        for (const r of records) {
          this.publishedIds.push(r.id);
        }
        this.deletePublished();
      },
      (error: unknown) => {
        this.logger.warn({
          msg: 'direct outbox publish failed; the poller will retry',
          count: records.length,
          err: error,
        });
      },
    );
  }

  /** Deletes what was published directly; one statement at a time, taking every id queued meanwhile. */
  private deletePublished(): void {
    if (this.deleting || this.publishedIds.length === 0) {
      return;
    }
    const ids = this.publishedIds.splice(0, this.publishedIds.length);
    this.deleting = this.dataSource
      .query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [ids])
      .then(
        () => undefined,
        (error: unknown) => {
          // Left in place, the rows are published again by the poller (a duplicate, never a loss).
          this.logger.warn({ msg: 'deleting published outbox rows failed', count: ids.length, err: error });
        },
      )
      .finally(() => {
        this.deleting = undefined;
        this.deletePublished();
      });
  }

  /** Drains what is there now; returns how many rows were published. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.dataSource.transaction(async (manager) => {
        const rows: Array<{
          id: string;
          topic: string;
          key: string;
          payload: unknown;
          headers: Record<string, string>;
        }> = await manager.query(
          `SELECT id, topic, key, payload, headers FROM outbox WHERE relay_after <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [this.options.batchSize ?? 500],
        );
        if (rows.length === 0) {
          return 0;
        }
        let published = rows;
        try {
          await this.publish(rows);
        } catch (error) {
          if (!isSchemaError(error)) {
            throw error;
          }
          // One event that can never be published (it does not match its topic's schema) must not
          // hold up every row behind it: the batch goes one by one, and such a row is parked
          // (kept, relay_after = infinity) for an operator, with a warning; nothing is deleted.
          published = [];
          for (const row of rows) {
            try {
              await this.publish([row]);
              published.push(row);
            } catch (rowError) {
              if (!isSchemaError(rowError)) {
                throw rowError;
              }
              await manager.query(`UPDATE outbox SET relay_after = 'infinity' WHERE id = $1`, [row.id]);
              this.logger.warn({
                msg: 'outbox row parked: its event does not match its schema',
                id: row.id,
                topic: row.topic,
                err: rowError,
              });
            }
          }
        }
        await manager.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [published.map((r) => r.id)]);
        return rows.length;
      });
      total += published;
      if (published === 0) {
        return total;
      }
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) {
      return;
    }
    this.running = true;
    let failed = false;
    try {
      await this.flush();
    } catch (error) {
      failed = true;
      this.logger.warn({ msg: 'outbox publish failed; will retry', err: error });
    } finally {
      this.running = false;
    }
    const again = this.wakeRequested;
    this.wakeRequested = false;
    this.schedule(again && !failed ? 0 : failed ? 2000 : (this.options.intervalMs ?? 500));
  }
}

/** An event the publisher refused for its schema (EventSchemaError of @custody/kafka): retrying cannot help. */
function isSchemaError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'EventSchemaError';
}
