import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Topics } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import { CompactRange, leafHash, NodeCoord, nodeKey } from '@custody/transparency-log';
import { consentChangedEvent } from '../domain/consent-event';
import { uuidv7 } from '../domain/ids';
import { ChangeEntry, EntryDraft, entryBytes, finalizeEntry, LogEntry } from '../domain/log-entry';

/** One draft to append, with what the log needs around it. */
export interface DraftItem {
  draft: EntryDraft;
  /** The customer's reference, for the consent.events message (never written to the log). */
  customerRef?: string;
  /** Same key and same request hash → the earlier entry is returned; same key, other request → conflict. */
  idempotency?: { key: string; requestHash: string };
  /** Decided under the tenant's log lock: skip when the current state already says so. */
  skipIf?: 'revoked' | 'granted_same_wording';
}

/** Everything one request or one chat command appends, applied all or nothing, once. */
export interface AppendUnit {
  items: DraftItem[];
  /** An inbound chat message handled at most once (its id is remembered). */
  chatCommand?: { messageId: string; command: string };
  /** More outbox messages (e.g. the confirmation to the customer), written only when the unit is applied. */
  outbox?: Array<{ topic: string; key: string; payload: unknown }>;
}

export type ItemOutcome =
  | { status: 'appended' | 'replayed'; entry: LogEntry; leafHash: Buffer }
  | { status: 'skipped' }
  | { status: 'conflict' };

export interface UnitOutcome {
  /** The chat command had been handled before: nothing was applied. */
  duplicate: boolean;
  items: ItemOutcome[];
}

export interface LogHead {
  size: number;
  frontier: Buffer;
}

type StateChange = {
  subject: string;
  purposeKey: string;
  status: string;
  versionHash: string | null;
  eventId: string;
  leafIndex: number;
  changedAt: string;
};

/** A batch numbered and hashed, ready to be written on top of `start`. */
export interface PreparedBatch {
  start: LogHead;
  end: LogHead;
  recordedAt: string;
  outcomes: UnitOutcome[];
  entries: {
    index: number[];
    id: string[];
    kind: string[];
    subject: string[];
    purpose: Array<string | null>;
    bytes: Buffer[];
    key: Array<string | null>;
    hash: Array<string | null>;
  };
  nodes: { level: number[]; index: number[]; hash: Buffer[] };
  stateChanges: Map<string, StateChange>;
  outbox: Array<{ topic: string; key: string; payload: string }>;
}

interface LockedReads {
  earlier: Map<string, { requestHash: string; entry: LogEntry; leafHash: Buffer }>;
  fresh: Set<string>;
  state: Map<string, CurrentState>;
}

/** The log head is not the one a batch was prepared on (another writer moved it): nothing was written; prepare again. */
export class StaleHeadError extends Error {
  constructor(expected: number, actual: number) {
    super(`log head moved: prepared on size ${expected}, found ${actual}`);
    this.name = 'StaleHeadError';
  }
}

/**
 * A unit whose entries do not depend on anything read under the lock: no idempotency key, no
 * chat command, no revoke (which names the wording it withdraws) and no condition. Grants and
 * prompts recorded through the API without an Idempotency-Key are simple.
 */
export function isSimpleUnit(unit: AppendUnit): boolean {
  return (
    !unit.chatCommand && unit.items.every((i) => !i.idempotency && !i.skipIf && i.draft.kind !== 'consent.revoked')
  );
}

export interface StoredEntry {
  leafIndex: number;
  entry: LogEntry;
  bytes: Buffer;
}

export interface StateRow {
  purposeKey: string;
  dataUse: string;
  status: 'granted' | 'revoked';
  versionHash: string | null;
  eventId: string;
  leafIndex: number;
  changedAt: Date;
}

export interface ExportRow {
  leafIndex: number;
  entry: Buffer;
  leafHash: Buffer | null;
}

interface CurrentState {
  status: 'granted' | 'revoked';
  versionHash: string | null;
}

const pairKey = (subject: string, purposeKey: string): string => `${subject}\u0000${purposeKey}`;

/**
 * The tenant's append-only Merkle log in PostgreSQL. An append locks the tenant's log head,
 * numbers the entries, stores each entry, every tree node its leaf completes, the new head
 * (size + right frontier), the derived consent state and the outbox rows, in one transaction.
 * Nothing is ever read back to append: the frontier carries everything (O(1) amortized).
 */
@Injectable()
export class ConsentLogRepository {
  constructor(private readonly db: TenantDb) {}

  appendUnits(tenantId: TenantId, units: AppendUnit[], now: Date = new Date()): Promise<UnitOutcome[]> {
    return this.appendReturningHead(tenantId, units, now).then((batch) => batch.outcomes);
  }

  /** Appends under the tenant's log lock and returns the outcomes and the head it left. */
  appendReturningHead(tenantId: TenantId, units: AppendUnit[], now: Date = new Date()): Promise<PreparedBatch> {
    return this.db.forTenant(tenantId, async (m) => {
      const head = await this.lockHead(m, tenantId);
      const batch = this.build(tenantId, units, head, await this.readUnderLock(m, tenantId, units), now);
      await this.write(m, tenantId, batch);
      return batch;
    });
  }

  /**
   * Builds a batch of *simple* units (see `isSimpleUnit`) on top of a head this process expects,
   * without touching the database: the JSON, hashing and tree work of the next batch can then
   * run while the previous batch is still being written.
   */
  prepare(tenantId: TenantId, units: AppendUnit[], head: LogHead, now: Date = new Date()): PreparedBatch {
    if (!units.every(isSimpleUnit)) {
      throw new Error('only simple units can be prepared ahead of the lock');
    }
    return this.build(tenantId, units, head, { earlier: new Map(), fresh: new Set(), state: new Map() }, now);
  }

  /** Writes a prepared batch; StaleHeadError (nothing written) when the log moved since it was prepared. */
  commitPrepared(tenantId: TenantId, batch: PreparedBatch): Promise<UnitOutcome[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const head = await this.lockHead(m, tenantId);
      // The whole head must match, not only the size: the batch's nodes were hashed onto that frontier.
      if (head.size !== batch.start.size || !head.frontier.equals(batch.start.frontier)) {
        throw new StaleHeadError(batch.start.size, head.size);
      }
      await this.write(m, tenantId, batch);
      return batch.outcomes;
    });
  }

  /** What deciding a batch needs from the database, read under the log lock. */
  private async readUnderLock(m: EntityManager, tenantId: TenantId, units: AppendUnit[]): Promise<LockedReads> {
    const keys = units.flatMap((u) => u.items.flatMap((i) => (i.idempotency ? [i.idempotency.key] : [])));
    const earlier: LockedReads['earlier'] = new Map();
    if (keys.length > 0) {
      const rows: Array<{ idempotency_key: string; request_hash: string; entry: Buffer }> = await m.query(
        `SELECT idempotency_key, request_hash, entry FROM log_entries WHERE tenant_id = $1 AND idempotency_key = ANY($2::text[])`,
        [tenantId, keys],
      );
      for (const r of rows) {
        earlier.set(r.idempotency_key, {
          requestHash: r.request_hash,
          entry: JSON.parse(r.entry.toString('utf8')) as LogEntry,
          leafHash: leafHash(r.entry),
        });
      }
    }
    const commands = units.flatMap((u) => (u.chatCommand ? [u.chatCommand] : []));
    const fresh = new Set<string>();
    if (commands.length > 0) {
      const rows: Array<{ message_id: string }> = await m.query(
        `INSERT INTO chat_commands (tenant_id, message_id, command)
         SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT DO NOTHING RETURNING message_id`,
        [tenantId, commands.map((c) => c.messageId), commands.map((c) => c.command)],
      );
      rows.forEach((r) => fresh.add(r.message_id));
    }
    return { earlier, fresh, state: await this.loadState(m, tenantId, units) };
  }

  /** Numbers the entries and computes everything to write (pure). */
  private build(tenantId: TenantId, units: AppendUnit[], head: LogHead, reads: LockedReads, now: Date): PreparedBatch {
    const { earlier, fresh, state } = reads;
    const range = CompactRange.fromFrontier(head.size, head.frontier);
    const recordedAt = now.toISOString();
    const entries: PreparedBatch['entries'] = {
      index: [] as number[],
      id: [] as string[],
      kind: [] as string[],
      subject: [] as string[],
      purpose: [] as Array<string | null>,
      bytes: [] as Buffer[],
      key: [] as Array<string | null>,
      hash: [] as Array<string | null>,
    };
    const nodes: PreparedBatch['nodes'] = { level: [] as number[], index: [] as number[], hash: [] as Buffer[] };
    const stateChanges: PreparedBatch['stateChanges'] = new Map();
    const outbox: PreparedBatch['outbox'] = [];

    const outcomes = units.map((unit): UnitOutcome => {
      if (unit.chatCommand && !fresh.has(unit.chatCommand.messageId)) {
        return { duplicate: true, items: unit.items.map(() => ({ status: 'skipped' })) };
      }
      const items = unit.items.map((item): ItemOutcome => {
        let draft = item.draft;
        if (item.idempotency) {
          const before = earlier.get(item.idempotency.key);
          if (before) {
            return before.requestHash === item.idempotency.requestHash
              ? { status: 'replayed', entry: before.entry, leafHash: before.leafHash }
              : { status: 'conflict' };
          }
        }
        if (draft.kind !== 'consent.prompted') {
          const current = state.get(pairKey(draft.subject, draft.purpose.key));
          if (item.skipIf === 'revoked' && current?.status === 'revoked') {
            return { status: 'skipped' };
          }
          if (
            item.skipIf === 'granted_same_wording' &&
            current?.status === 'granted' &&
            current.versionHash === (draft.purpose.wordingHash ?? null)
          ) {
            return { status: 'skipped' };
          }
          if (
            draft.kind === 'consent.revoked' &&
            !draft.purpose.wordingHash &&
            current?.status === 'granted' &&
            current.versionHash
          ) {
            draft = { ...draft, purpose: { ...draft.purpose, wordingHash: current.versionHash } };
          }
        }
        const entry = finalizeEntry(draft, range.size, uuidv7(now.getTime()), recordedAt);
        const bytes = entryBytes(entry);
        const leaf = leafHash(bytes);
        for (const node of range.append(leaf)) {
          nodes.level.push(node.level);
          nodes.index.push(node.index);
          nodes.hash.push(node.hash);
        }
        entries.index.push(entry.index);
        entries.id.push(entry.id);
        entries.kind.push(entry.kind);
        entries.subject.push(entry.subject);
        entries.purpose.push(entry.kind === 'consent.prompted' ? null : entry.purpose.key);
        entries.bytes.push(bytes);
        entries.key.push(item.idempotency?.key ?? null);
        entries.hash.push(item.idempotency?.requestHash ?? null);
        if (item.idempotency) {
          earlier.set(item.idempotency.key, { requestHash: item.idempotency.requestHash, entry, leafHash: leaf });
        }
        if (entry.kind !== 'consent.prompted') {
          this.noteChange(entry, leaf, item.customerRef, state, stateChanges, outbox);
        }
        return { status: 'appended', entry, leafHash: leaf };
      });
      for (const extra of unit.outbox ?? []) {
        outbox.push({ topic: extra.topic, key: extra.key, payload: JSON.stringify(extra.payload) });
      }
      return { duplicate: false, items };
    });

    return {
      start: head,
      end: { size: range.size, frontier: range.frontier() },
      recordedAt,
      outcomes,
      entries,
      nodes,
      stateChanges,
      outbox,
    };
  }

  private async write(m: EntityManager, tenantId: TenantId, batch: PreparedBatch): Promise<void> {
    const { entries, nodes, stateChanges, outbox, recordedAt } = batch;
    if (entries.index.length > 0) {
      // Bulk statements shaped for PostgreSQL's parser: entries and node hashes travel as one
      // concatenated bytea each (cut by lengths in SQL), which parses far faster than text[] or
      // bytea[] literals full of escapes (see docs/benchmarks.md).
      await m.query(
        `INSERT INTO log_entries (tenant_id, leaf_index, event_id, kind, subject, purpose_key, entry, recorded_at, idempotency_key, request_hash)
         SELECT $1, i, e, k, s, p, substring($7::bytea FROM (sum(l) OVER (ORDER BY n) - l + 1)::int FOR l), $9::timestamptz, ik, rh
           FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $8::int[], $10::text[], $11::text[])
             WITH ORDINALITY AS u(i, e, k, s, p, l, ik, rh, n)`,
        [
          tenantId,
          entries.index,
          entries.id,
          entries.kind,
          entries.subject,
          entries.purpose,
          Buffer.concat(entries.bytes),
          entries.bytes.map((b) => b.length),
          recordedAt,
          entries.key,
          entries.hash,
        ],
      );
      await m.query(
        `INSERT INTO log_nodes (tenant_id, level, idx, hash)
         SELECT $1, l, i, substring($4::bytea FROM ((n - 1) * 32 + 1)::int FOR 32)
           FROM unnest($2::smallint[], $3::bigint[]) WITH ORDINALITY AS u(l, i, n)`,
        [tenantId, nodes.level, nodes.index, Buffer.concat(nodes.hash)],
      );
      await m.query(`UPDATE log_heads SET size = $2, frontier = $3, updated_at = now() WHERE tenant_id = $1`, [
        tenantId,
        batch.end.size,
        batch.end.frontier,
      ]);
    }
    if (stateChanges.size > 0) {
      const rows = [...stateChanges.values()];
      await m.query(
        `INSERT INTO consent_state (tenant_id, subject, purpose_key, status, version_hash, event_id, leaf_index, changed_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::bigint[], $8::timestamptz[])
         ON CONFLICT (tenant_id, subject, purpose_key) DO UPDATE SET status = EXCLUDED.status, version_hash = EXCLUDED.version_hash,
           event_id = EXCLUDED.event_id, leaf_index = EXCLUDED.leaf_index, changed_at = EXCLUDED.changed_at`,
        [
          tenantId,
          rows.map((r) => r.subject),
          rows.map((r) => r.purposeKey),
          rows.map((r) => r.status),
          rows.map((r) => r.versionHash),
          rows.map((r) => r.eventId),
          rows.map((r) => r.leafIndex),
          rows.map((r) => r.changedAt),
        ],
      );
    }
    if (outbox.length > 0) {
      await m.query(
        `INSERT INTO outbox (topic, key, payload)
         SELECT t, k, p FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(t, k, n)
           JOIN jsonb_array_elements($3::jsonb) WITH ORDINALITY AS j(p, n) USING (n)`,
        [outbox.map((o) => o.topic), outbox.map((o) => o.key), `[${outbox.map((o) => o.payload).join(',')}]`],
      );
    }
  }

  private noteChange(
    entry: ChangeEntry,
    leaf: Buffer,
    customerRef: string | undefined,
    state: Map<string, CurrentState>,
    changes: Map<string, StateChange>,
    outbox: Array<{ topic: string; key: string; payload: string }>,
  ): void {
    const status = entry.kind === 'consent.granted' ? 'granted' : 'revoked';
    const versionHash = entry.purpose.wordingHash ?? null;
    const key = pairKey(entry.subject, entry.purpose.key);
    state.set(key, { status, versionHash });
    changes.set(key, {
      subject: entry.subject,
      purposeKey: entry.purpose.key,
      status,
      versionHash,
      eventId: entry.id,
      leafIndex: entry.index,
      changedAt: entry.occurredAt,
    });
    if (customerRef) {
      const { key: topicKey, event } = consentChangedEvent(entry, customerRef, leaf);
      outbox.push({ topic: Topics.ConsentEvents, key: topicKey, payload: JSON.stringify(event) });
    }
  }

  private async lockHead(m: EntityManager, tenantId: TenantId): Promise<LogHead> {
    const select = `SELECT size, frontier FROM log_heads WHERE tenant_id = $1 FOR UPDATE`;
    let rows: Array<{ size: string; frontier: Buffer }> = await m.query(select, [tenantId]);
    if (rows.length === 0) {
      await m.query(
        `INSERT INTO log_heads (tenant_id, size, frontier) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING`,
        [tenantId, Buffer.alloc(0)],
      );
      rows = await m.query(select, [tenantId]);
    }
    return { size: Number(rows[0].size), frontier: rows[0].frontier };
  }

  private async loadState(
    m: EntityManager,
    tenantId: TenantId,
    units: AppendUnit[],
  ): Promise<Map<string, CurrentState>> {
    // Only revokes (to name the wording withdrawn) and conditional items read the current state.
    const pairs = new Map<string, [string, string]>();
    for (const unit of units) {
      for (const { draft, skipIf } of unit.items) {
        if (draft.kind === 'consent.revoked' || (skipIf && draft.kind !== 'consent.prompted')) {
          pairs.set(pairKey(draft.subject, draft.purpose.key), [draft.subject, draft.purpose.key]);
        }
      }
    }
    const state = new Map<string, CurrentState>();
    if (pairs.size === 0) {
      return state;
    }
    const list = [...pairs.values()];
    // LATERAL: one primary-key lookup per pair, whatever the planner's statistics say.
    const rows: Array<{
      subject: string;
      purpose_key: string;
      status: 'granted' | 'revoked';
      version_hash: string | null;
    }> = await m.query(
      `SELECT p.subject, p.purpose_key, s.status, s.version_hash FROM unnest($2::text[], $3::text[]) AS p(subject, purpose_key)
         CROSS JOIN LATERAL (SELECT status, version_hash FROM consent_state s
                              WHERE s.tenant_id = $1 AND s.subject = p.subject AND s.purpose_key = p.purpose_key) s`,
      [tenantId, list.map((p) => p[0]), list.map((p) => p[1])],
    );
    for (const r of rows) {
      state.set(pairKey(r.subject, r.purpose_key), { status: r.status, versionHash: r.version_hash });
    }
    return state;
  }

  /** The log's current size and right frontier (one row; consistent by itself). One round trip. */
  async head(tenantId: TenantId): Promise<{ size: number; frontier: Buffer; updatedAt: Date | null }> {
    const rows: Array<{ size: string; frontier: Buffer; updated_at: Date }> = await this.db.dataSource.query(
      `SELECT size, frontier, updated_at FROM tenant_log_head($1)`,
      [tenantId],
    );
    return rows[0]
      ? { size: Number(rows[0].size), frontier: rows[0].frontier, updatedAt: rows[0].updated_at }
      : { size: 0, frontier: Buffer.alloc(0), updatedAt: null };
  }

  findById(tenantId: TenantId, eventId: string, within?: EntityManager): Promise<StoredEntry | null> {
    return this.db.withinTenant(tenantId, within, async (m) => {
      const rows: Array<{ leaf_index: string; entry: Buffer }> = await m.query(
        `SELECT leaf_index, entry FROM log_entries WHERE tenant_id = $1 AND event_id = $2`,
        [tenantId, eventId],
      );
      return rows[0] ? toStored(rows[0]) : null;
    });
  }

  /** Prompts shown to a subject, newest first. */
  promptsShownTo(tenantId: TenantId, subject: string, limit = 50): Promise<StoredEntry[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ leaf_index: string; entry: Buffer }> = await m.query(
        `SELECT leaf_index, entry FROM log_entries
          WHERE tenant_id = $1 AND subject = $2 AND kind = 'consent.prompted'
          ORDER BY leaf_index DESC LIMIT $3`,
        [tenantId, subject, limit],
      );
      return rows.map(toStored);
    });
  }

  /** A subject's entries in log order, after an index. */
  history(tenantId: TenantId, subject: string, afterIndex: number, limit: number): Promise<StoredEntry[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ leaf_index: string; entry: Buffer }> = await m.query(
        `SELECT leaf_index, entry FROM log_entries
          WHERE tenant_id = $1 AND subject = $2 AND leaf_index > $3 ORDER BY leaf_index LIMIT $4`,
        [tenantId, subject, afterIndex, limit],
      );
      return rows.map(toStored);
    });
  }

  /** A subject's current state for every purpose that has one, with the purpose's data use. */
  states(tenantId: TenantId, subject: string, within?: EntityManager): Promise<StateRow[]> {
    return this.db.withinTenant(tenantId, within, async (m) => {
      const rows: Array<{
        purpose_key: string;
        data_use: string;
        status: 'granted' | 'revoked';
        version_hash: string | null;
        event_id: string;
        leaf_index: string;
        changed_at: Date;
      }> = await m.query(
        `SELECT s.purpose_key, p.data_use, s.status, s.version_hash, s.event_id, s.leaf_index, s.changed_at
             FROM consent_state s JOIN purposes p ON p.tenant_id = s.tenant_id AND p.key = s.purpose_key
            WHERE s.tenant_id = $1 AND s.subject = $2 ORDER BY s.purpose_key`,
        [tenantId, subject],
      );
      return rows.map((r) => ({
        purposeKey: r.purpose_key,
        dataUse: r.data_use,
        status: r.status,
        versionHash: r.version_hash,
        eventId: r.event_id,
        leafIndex: Number(r.leaf_index),
        changedAt: r.changed_at,
      }));
    });
  }

  /** Stored tree nodes, in one round trip (immutable once written, so no snapshot is needed). */
  async nodes(tenantId: TenantId, coords: NodeCoord[]): Promise<Map<string, Buffer>> {
    const rows: Array<{ level: number; idx: string; hash: Buffer }> = await this.db.dataSource.query(
      `SELECT level, idx, hash FROM tenant_tree_nodes($1, $2::smallint[], $3::bigint[])`,
      [tenantId, coords.map((c) => c.level), coords.map((c) => c.index)],
    );
    return new Map(rows.map((r) => [nodeKey({ level: r.level, index: Number(r.idx) }), r.hash]));
  }

  /**
   * Entries [from, to) in index order, each with the leaf hash the tree stored for its position
   * (two range scans; the hash is read by position, so a moved entry shows up as a mismatch).
   */
  exportPage(tenantId: TenantId, from: number, to: number, limit: number): Promise<ExportRow[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ leaf_index: string; entry: Buffer }> = await m.query(
        `SELECT leaf_index, entry FROM log_entries WHERE tenant_id = $1 AND leaf_index >= $2 AND leaf_index < $3 ORDER BY leaf_index LIMIT $4`,
        [tenantId, from, to, limit],
      );
      if (rows.length === 0) {
        return [];
      }
      const hashes: Array<{ idx: string; hash: Buffer }> = await m.query(
        `SELECT idx, hash FROM log_nodes WHERE tenant_id = $1 AND level = 0 AND idx >= $2 AND idx <= $3`,
        [tenantId, from, rows[rows.length - 1].leaf_index],
      );
      const byIndex = new Map(hashes.map((h) => [Number(h.idx), h.hash]));
      return rows.map((r) => ({
        leafIndex: Number(r.leaf_index),
        entry: r.entry,
        leafHash: byIndex.get(Number(r.leaf_index)) ?? null,
      }));
    });
  }

  /** One entry by its position. */
  entryAt(tenantId: TenantId, index: number): Promise<StoredEntry | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ leaf_index: string; entry: Buffer }> = await m.query(
        `SELECT leaf_index, entry FROM log_entries WHERE tenant_id = $1 AND leaf_index = $2`,
        [tenantId, index],
      );
      return rows[0] ? toStored(rows[0]) : null;
    });
  }
}

function toStored(row: { leaf_index: string; entry: Buffer }): StoredEntry {
  return {
    leafIndex: Number(row.leaf_index),
    entry: JSON.parse(row.entry.toString('utf8')) as LogEntry,
    bytes: row.entry,
  };
}
