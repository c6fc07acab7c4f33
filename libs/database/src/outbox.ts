import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface OutboxRecord {
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** SQL for a service's outbox table, for its migrations. Not tenant-scoped: only the relay reads it. */
export const OUTBOX_TABLE_SQL = `CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

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

/** Adds many events to the outbox in one statement, inside the caller's transaction. */
export async function enqueueOutboxBatch(
  manager: EntityManager,
  rows: Array<{ topic: string; key: string; payload: unknown; headers?: Record<string, string> }>,
): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  await manager.query(
    `INSERT INTO outbox (topic, key, payload, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.key),
      rows.map((r) => JSON.stringify(r.payload)),
      rows.map((r) => JSON.stringify(r.headers ?? {})),
    ],
  );
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
    while (this.running) {
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

  /** Drains what is there now; returns how many rows were published. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.dataSource.transaction(async (manager) => {
        const rows: Array<{ id: string; topic: string; key: string; payload: unknown; headers: Record<string, string> }> =
          await manager.query(
            `SELECT id, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
            [this.options.batchSize ?? 500],
          );
        if (rows.length === 0) {
          return 0;
        }
        await this.publish(rows);
        await manager.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
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
