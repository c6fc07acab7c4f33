import { Injectable } from '@nestjs/common';
import { SandboxEnv } from '../config/sandbox.env';
import { ClockRepository } from '../repositories/clock.repository';
import { AdsErrorSubcodes, invalidParameter } from './ads-graph-error';
import { objectOrNew } from './ads-objects';
import { AudienceUpload, parseAudienceUpload } from './ads-validation';

export type MembershipOp = 'add' | 'remove';

export interface UsersResponse {
  audience_id: string;
  session_id: number;
  num_received: number;
  num_invalid_entries: number;
  invalid_entry_samples: Record<string, string>;
}

export interface AudienceHistoryEntry {
  op: MembershipOp;
  at: string;
  session_id: number;
  batch_seq: number;
  last_batch_flag: boolean;
  num_received: number;
  num_invalid_entries: number;
  /** Members that joined (add) or left (remove) the audience with this batch. */
  members_changed: number;
  /** A re-sent (session_id, batch_seq): answered as before, nothing applied again. */
  replayed: boolean;
}

interface Member {
  /** Typed identifiers; an array, not a Set: most members have one or two (memory, see docs). */
  identifiers: string[];
  addedAtMs: number;
}

interface SessionState {
  op: MembershipOp;
  sessionId: number;
  startedAtMs: number;
  endedAtMs?: number;
  estimatedNumTotal?: number;
  batches: Map<number, UsersResponse>;
  numReceived: number;
  numInvalid: number;
}

interface Audience {
  id: string;
  members: Map<string, Member>;
  /** Typed identifier (`PHONE:<hex>`) → member key. */
  index: Map<string, string>;
  /** Typed identifier → when it was last removed (bounded, oldest dropped). */
  removed: Map<string, number>;
  sessions: Map<string, SessionState>;
  history: AudienceHistoryEntry[];
  totals: AudienceTotals;
}

interface AudienceTotals {
  batches: number;
  replayed_batches: number;
  rows_received: number;
  rows_invalid: number;
  members_added: number;
  members_removed: number;
}

const emptyTotals = (): AudienceTotals => ({
  batches: 0,
  replayed_batches: 0,
  rows_received: 0,
  rows_invalid: 0,
  members_added: 0,
  members_removed: 0,
});

/** Bounds of the per-audience bookkeeping besides members (documented in docs/sandbox-ads.md). */
export const AUDIENCE_LIMITS = { history: 10_000, sessions: 10_000, removed: 100_000 } as const;

const iso = (ms: number): string => new Date(ms).toISOString();
/** The identifier types that make a member (what `member()` looks a hash up as). */
const IDENTIFYING_TYPES = ['PHONE', 'EMAIL', 'EXTERN_ID', 'MADID'] as const;

/** The first `n` of an iteration, without copying the rest (an audience may hold 200,000 members). */
function first<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= n) {
      break;
    }
    out.push(item);
  }
  return out;
}

function trimMap<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    map.delete(map.keys().next().value as K);
  }
}

/**
 * The simulated customer-list audiences: members added and removed in upload sessions, with
 * idempotent re-sends per (session_id, batch_seq). A member is a person: rows that share an
 * identifier (same phone hash, same email hash) are the same member, and removing any of its
 * identifiers removes it, as matching on the real platform does.
 */
@Injectable()
export class AdsAudienceService {
  private readonly audiences = new Map<string, Audience>();

  constructor(
    private readonly env: SandboxEnv,
    private readonly clock: ClockRepository,
  ) {}

  apply(op: MembershipOp, audienceId: string, body: unknown): UsersResponse {
    const upload = parseAudienceUpload(body);
    const audience = this.audience(audienceId);
    const now = this.clock.nowMs();
    const { session: s } = upload;
    const sessionKey = `${op}:${s.sessionId}`;
    let session = audience.sessions.get(sessionKey);
    const previous = session?.batches.get(s.batchSeq);
    if (previous) {
      audience.totals.replayed_batches += 1;
      this.record(audience, op, now, upload, previous, undefined);
      return previous;
    }
    if (session?.endedAtMs !== undefined) {
      throw invalidParameter(
        AdsErrorSubcodes.SessionEnded,
        'Upload session ended',
        `session ${s.sessionId} already received its last batch; start a new session`,
        { session_id: s.sessionId, batch_seq: s.batchSeq },
      );
    }
    if (op === 'add' && audience.members.size + upload.rows.length > this.env.SANDBOX_ADS_MAX_MEMBERS) {
      throw invalidParameter(
        AdsErrorSubcodes.SandboxCapacity,
        'Sandbox capacity',
        `the sandbox keeps at most ${this.env.SANDBOX_ADS_MAX_MEMBERS} members per audience (SANDBOX_ADS_MAX_MEMBERS)`,
      );
    }
    if (!session) {
      session = { op, sessionId: s.sessionId, startedAtMs: now, batches: new Map(), numReceived: 0, numInvalid: 0 };
      audience.sessions.set(sessionKey, session);
      trimMap(audience.sessions, AUDIENCE_LIMITS.sessions);
    }
    const changed = op === 'add' ? this.add(audience, upload, now) : this.remove(audience, upload, now);
    const response: UsersResponse = {
      audience_id: audienceId,
      session_id: s.sessionId,
      num_received: upload.numReceived,
      num_invalid_entries: upload.numInvalid,
      invalid_entry_samples: upload.invalidSamples,
    };
    session.batches.set(s.batchSeq, response);
    session.numReceived += upload.numReceived;
    session.numInvalid += upload.numInvalid;
    session.estimatedNumTotal = s.estimatedNumTotal ?? session.estimatedNumTotal;
    if (s.lastBatchFlag) {
      session.endedAtMs = now;
    }
    audience.totals.batches += 1;
    audience.totals.rows_received += upload.numReceived;
    audience.totals.rows_invalid += upload.numInvalid;
    this.record(audience, op, now, upload, response, changed);
    return response;
  }

  private add(audience: Audience, upload: AudienceUpload, now: number): number {
    let added = 0;
    for (const identifiers of upload.rows) {
      const keys = [
        ...new Set(identifiers.map((id) => audience.index.get(id)).filter((k): k is string => k !== undefined)),
      ];
      let key = keys[0];
      if (key === undefined) {
        key = identifiers[0];
        audience.members.set(key, { identifiers: [], addedAtMs: now });
        added += 1;
      }
      const member = audience.members.get(key) as Member;
      // Rows that share an identifier are one person: merge what was separate.
      for (const other of keys.slice(1)) {
        for (const id of audience.members.get(other)?.identifiers ?? []) {
          if (!member.identifiers.includes(id)) {
            member.identifiers.push(id);
          }
          audience.index.set(id, key);
        }
        audience.members.delete(other);
      }
      for (const id of identifiers) {
        if (!member.identifiers.includes(id)) {
          member.identifiers.push(id);
        }
        audience.index.set(id, key);
        audience.removed.delete(id);
      }
    }
    audience.totals.members_added += added;
    return added;
  }

  private remove(audience: Audience, upload: AudienceUpload, now: number): number {
    let removed = 0;
    for (const identifiers of upload.rows) {
      for (const id of identifiers) {
        const key = audience.index.get(id);
        const member = key === undefined ? undefined : audience.members.get(key);
        if (key === undefined || !member) {
          continue;
        }
        for (const memberId of member.identifiers) {
          audience.index.delete(memberId);
          audience.removed.delete(memberId);
          audience.removed.set(memberId, now);
        }
        audience.members.delete(key);
        removed += 1;
      }
    }
    trimMap(audience.removed, AUDIENCE_LIMITS.removed);
    audience.totals.members_removed += removed;
    return removed;
  }

  /** Records a batch in the history: applied (`changed` members) or re-sent (`changed` undefined). */
  private record(
    audience: Audience,
    op: MembershipOp,
    now: number,
    { session: s }: AudienceUpload,
    answer: UsersResponse,
    changed: number | undefined,
  ): void {
    audience.history.push({
      op,
      at: iso(now),
      session_id: s.sessionId,
      batch_seq: s.batchSeq,
      last_batch_flag: s.lastBatchFlag,
      num_received: answer.num_received,
      num_invalid_entries: answer.num_invalid_entries,
      members_changed: changed ?? 0,
      replayed: changed === undefined,
    });
    if (audience.history.length > AUDIENCE_LIMITS.history) {
      audience.history.splice(0, audience.history.length - AUDIENCE_LIMITS.history);
    }
  }

  private audience(id: string): Audience {
    return objectOrNew(this.audiences, id, 'audiences', this.env.SANDBOX_ADS_MAX_OBJECTS, () => ({
      id,
      members: new Map(),
      index: new Map(),
      removed: new Map(),
      sessions: new Map(),
      history: [],
      totals: emptyTotals(),
    }));
  }

  /** What the audience holds now, for tests and benchmarks. Unknown ids read as empty. */
  inspect(id: string, limit: number): AudienceView {
    const a = this.audiences.get(id);
    if (!a) {
      return {
        audience_id: id,
        member_count: 0,
        members: [],
        recently_removed: [],
        sessions: [],
        history: [],
        totals: emptyTotals(),
      };
    }
    return {
      audience_id: id,
      member_count: a.members.size,
      members: first(a.members.values(), limit).map((m) => ({
        identifiers: [...m.identifiers],
        added_at: iso(m.addedAtMs),
      })),
      recently_removed: [...a.removed.entries()]
        .slice(-limit)
        .map(([identifier, at]) => ({ identifier, removed_at: iso(at) })),
      sessions: [...a.sessions.values()].slice(-limit).map((s) => ({
        op: s.op,
        session_id: s.sessionId,
        started_at: iso(s.startedAtMs),
        ...(s.endedAtMs !== undefined ? { ended_at: iso(s.endedAtMs) } : {}),
        batches_received: s.batches.size,
        num_received: s.numReceived,
        num_invalid_entries: s.numInvalid,
        ...(s.estimatedNumTotal !== undefined ? { estimated_num_total: s.estimatedNumTotal } : {}),
      })),
      history: a.history.slice(-limit),
      totals: { ...a.totals },
    };
  }

  /** Whether a hashed identifier (of any type) is in the audience, and since or until when. */
  member(id: string, hash: string): MemberView {
    const audience = this.audiences.get(id);
    const typed = IDENTIFYING_TYPES.map((type) => `${type}:${hash}`);
    const keys = audience ? typed.map((t) => audience.index.get(t)) : [];
    const types = IDENTIFYING_TYPES.filter((_, i) => keys[i] !== undefined);
    const key = keys.find((k) => k !== undefined);
    const addedAtMs = key !== undefined ? audience?.members.get(key)?.addedAtMs : undefined;
    const removals = audience && types.length === 0 ? typed.map((t) => audience.removed.get(t) ?? 0) : [];
    const removedAtMs = Math.max(0, ...removals) || undefined;
    return {
      audience_id: id,
      hash,
      member: types.length > 0,
      identifier_types: types,
      ...(addedAtMs !== undefined ? { added_at: iso(addedAtMs) } : {}),
      ...(removedAtMs !== undefined ? { removed_at: iso(removedAtMs) } : {}),
    };
  }

  reset(): void {
    this.audiences.clear();
  }
}

export interface AudienceView {
  audience_id: string;
  member_count: number;
  members: Array<{ identifiers: string[]; added_at: string }>;
  recently_removed: Array<{ identifier: string; removed_at: string }>;
  sessions: Array<Record<string, unknown>>;
  history: AudienceHistoryEntry[];
  totals: Audience['totals'];
}

export interface MemberView {
  audience_id: string;
  hash: string;
  member: boolean;
  identifier_types: string[];
  added_at?: string;
  removed_at?: string;
}
