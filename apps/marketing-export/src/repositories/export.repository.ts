import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ExportResultEvent, Topics } from '@custody/contracts';
import { asTenantId, enqueueOutboxBatch, TenantDb, TenantId } from '@custody/database';
import { ConsentRef } from '../domain/data-use';
import { DestinationError } from '../domain/isolation';

export type Operation = 'add' | 'event' | 'remove';
export type RecordStatus = 'pending' | 'sending' | 'sent' | 'suppressed' | 'rejected' | 'removed';
export type DestinationKind = 'customer_list_audience' | 'conversions_dataset';

/** A candidate (or removal) as the export stores it: one row per record and destination. */
export interface NewRecord {
  destinationId: string;
  destinationKind: DestinationKind;
  adAccountId: string;
  targetId: string;
  operation: Operation;
  recordKey: string;
  authorizationId: string | null;
  authorizationVersion: number | null;
  dataUses: string[];
  messageId: string | null;
  conversationId: string | null;
  customerRef: string | null;
  memberHash: string | null;
  eventTime: string | null;
  ctwaClid: string | null;
  /** The consent entries a removal follows (per record; exports get theirs at send time). */
  consent?: ConsentRef[];
}

/** A stored record: what was given (`NewRecord`, with the event time as a date) and its progress. */
export interface ExportRecord extends Omit<NewRecord, 'eventTime' | 'consent'> {
  id: string;
  seq: number;
  tenantId: TenantId;
  eventTime: Date | null;
  status: RecordStatus;
  reason: string | null;
  error: DestinationError | null;
  consent: ConsentRef[] | null;
  trigger: Record<string, unknown> | null;
  batch: Record<string, unknown> | null;
  attempts: number;
  nextAttemptAt: Date;
  erasureRequestId: string | null;
  createdAt: Date;
  checkedAt: Date | null;
  completedAt: Date | null;
}

/** TypeORM answers UPDATE/DELETE … RETURNING with `[rows, affected]` and INSERT/SELECT with the rows. */
export function returnedRows<T>(result: unknown): T[] {
  return Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
    ? (result[0] as T[])
    : (result as T[]);
}

export const RECORD_COLUMNS = `id, seq, tenant_id, destination_id, destination_kind, ad_account_id, target_id, operation, record_key,
  authorization_id, authorization_version, data_uses, message_id, conversation_id, customer_ref, member_hash, event_time, ctwa_clid,
  status, reason, error, consent, trigger, batch, attempts, next_attempt_at, erasure_request_id, created_at, checked_at, completed_at`;

/** A row of export_records as PostgreSQL returns it. */
export interface RawRecord {
  id: string;
  seq: string;
  tenant_id: string;
  destination_id: string;
  destination_kind: DestinationKind;
  ad_account_id: string;
  target_id: string;
  operation: Operation;
  record_key: string;
  authorization_id: string | null;
  authorization_version: number | null;
  data_uses: string[];
  message_id: string | null;
  conversation_id: string | null;
  customer_ref: string | null;
  member_hash: string | null;
  event_time: Date | null;
  ctwa_clid: string | null;
  status: RecordStatus;
  reason: string | null;
  error: DestinationError | null;
  consent: ConsentRef[] | null;
  trigger: Record<string, unknown> | null;
  batch: Record<string, unknown> | null;
  attempts: number;
  next_attempt_at: Date;
  erasure_request_id: string | null;
  created_at: Date;
  checked_at: Date | null;
  completed_at: Date | null;
}

interface RawMembership {
  destination_id: string;
  member_hash: string;
  customer_ref: string | null;
  ad_account_id: string;
  target_id: string;
  data_uses: string[];
  state: 'active' | 'removing';
  added_record_id: string;
  removal_record_id: string | null;
}

export function mapRecord(r: RawRecord): ExportRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    tenantId: asTenantId(r.tenant_id),
    destinationId: r.destination_id,
    destinationKind: r.destination_kind,
    adAccountId: r.ad_account_id,
    targetId: r.target_id,
    operation: r.operation,
    recordKey: r.record_key,
    authorizationId: r.authorization_id,
    authorizationVersion: r.authorization_version,
    dataUses: r.data_uses,
    messageId: r.message_id,
    conversationId: r.conversation_id,
    customerRef: r.customer_ref,
    memberHash: r.member_hash,
    eventTime: r.event_time,
    ctwaClid: r.ctwa_clid,
    status: r.status,
    reason: r.reason,
    error: r.error,
    consent: r.consent,
    trigger: r.trigger,
    batch: r.batch,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    erasureRequestId: r.erasure_request_id,
    createdAt: r.created_at,
    checkedAt: r.checked_at,
    completedAt: r.completed_at,
  };
}

export interface Membership {
  destinationId: string;
  memberHash: string;
  customerRef: string | null;
  adAccountId: string;
  targetId: string;
  dataUses: string[];
  state: 'active' | 'removing';
  addedRecordId: string;
  removalRecordId: string | null;
}

const mapMembership = (r: RawMembership): Membership => ({
  destinationId: r.destination_id,
  memberHash: r.member_hash,
  customerRef: r.customer_ref,
  adAccountId: r.ad_account_id,
  targetId: r.target_id,
  dataUses: r.data_uses,
  state: r.state,
  addedRecordId: r.added_record_id,
  removalRecordId: r.removal_record_id,
});

/** One row's settled outcome; `event` is published to `export.results` in the same transaction. */
export interface Settlement {
  id: string;
  status: RecordStatus;
  reason?: string | null;
  error?: DestinationError | null;
  consent?: ConsentRef[] | null;
  batch?: Record<string, unknown> | null;
}

export type ResultType = ExportResultEvent['type'];

const RESULT_BY_STATUS: Partial<Record<RecordStatus, ResultType>> = {
  sent: 'export.sent',
  suppressed: 'export.suppressed',
  rejected: 'export.rejected',
  removed: 'export.removed',
};

/**
 * The export records: candidates and removals with their state machine (pending → sending →
 * sent / suppressed / rejected / removed), which is also the ledger. Unique per (tenant,
 * destination, record key), so a replayed candidate is a no-op.
 */
@Injectable()
export class ExportRepository {
  constructor(readonly db: TenantDb) {}

  /** Stores new candidates; an already stored record (a replay) is left as it is. Returns how many were new. */
  insert(tenantId: TenantId, records: NewRecord[]): Promise<number> {
    if (records.length === 0) {
      return Promise.resolve(0);
    }
    return this.db.forTenant(tenantId, (m) => this.insertIn(m, tenantId, records).then((ids) => ids.length));
  }

  /** Inserts inside the caller's transaction; returns the ids of the rows that were new. */
  async insertIn(
    m: EntityManager,
    tenantId: TenantId,
    records: NewRecord[],
    extra: { erasureRequestId?: string; trigger?: unknown; reason?: string } = {},
  ): Promise<string[]> {
    return (await this.insertReturning(m, tenantId, records, extra)).map((r) => r.id);
  }

  /** Like insertIn, with where each new row went (destination and member). */
  async insertReturning(
    m: EntityManager,
    tenantId: TenantId,
    records: NewRecord[],
    extra: { erasureRequestId?: string; trigger?: unknown; reason?: string } = {},
  ): Promise<Array<{ id: string; destination_id: string; member_hash: string | null }>> {
    const col = <K extends keyof NewRecord>(k: K) => records.map((r) => r[k]);
    return m.query(
      `INSERT INTO export_records (tenant_id, destination_id, destination_kind, ad_account_id, target_id, operation, record_key,
          authorization_id, authorization_version, data_uses, message_id, conversation_id, customer_ref, member_hash, event_time, ctwa_clid,
          status, erasure_request_id, trigger, reason, consent)
       SELECT $1, d, k, a, t, o, rk, ai, av, string_to_array(du, ' '), mi, ci, w, mh, et, cl, 'pending', $17::uuid, $18::jsonb, $19::text, cj
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::int[], $10::text[],
                     $11::text[], $12::uuid[], $13::text[], $14::text[], $15::timestamptz[], $16::text[], $20::jsonb[])
              WITH ORDINALITY AS x(d, k, a, t, o, rk, ai, av, du, mi, ci, w, mh, et, cl, cj, n)
       ORDER BY n
       ON CONFLICT (tenant_id, destination_id, record_key) DO NOTHING
       RETURNING id, destination_id, member_hash`,
      [
        tenantId,
        col('destinationId'),
        col('destinationKind'),
        col('adAccountId'),
        col('targetId'),
        col('operation'),
        col('recordKey'),
        col('authorizationId'),
        col('authorizationVersion'),
        records.map((r) => r.dataUses.join(' ')),
        col('messageId'),
        col('conversationId'),
        col('customerRef'),
        col('memberHash'),
        col('eventTime'),
        col('ctwaClid'),
        extra.erasureRequestId ?? null,
        extra.trigger === undefined ? null : JSON.stringify(extra.trigger),
        extra.reason ?? null,
        records.map((r) => (r.consent && r.consent.length > 0 ? JSON.stringify(r.consent) : null)),
      ],
    );
  }

  /** Puts back what a crashed round left in `sending` after its lease ran out (the destination dedups a resend). */
  async releaseExpiredLeases(): Promise<number> {
    const result: unknown = await this.db.forPlatform((m) =>
      m.query(
        `UPDATE export_records SET status = 'pending', lease_until = NULL WHERE status = 'sending' AND lease_until < now() RETURNING 1`,
      ),
    );
    return returnedRows(result).length;
  }

  /** Audience removals not yet confirmed by their destination (all tenants), for the backlog gauges. */
  async removalBacklog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const rows: Array<{ pending: number; age: number | null }> = await this.db.forPlatform((m) =>
      m.query(
        `SELECT count(*)::int AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
           FROM export_records WHERE operation = 'remove' AND status IN ('pending', 'sending')`,
      ),
    );
    return { pending: rows[0].pending, oldestAgeSeconds: rows[0].age ?? 0 };
  }

  /** (tenant, destination, operation) groups with records due now: removals first (withdrawn consent is honoured before anything new is sent), then oldest first. */
  async dueWork(limit: number): Promise<Array<{ tenantId: TenantId; destinationId: string; operation: Operation }>> {
    const rows: Array<{ tenant_id: string; destination_id: string; operation: Operation }> = await this.db.forPlatform(
      (m) =>
        m.query(
          `SELECT tenant_id, destination_id, operation FROM export_records
          WHERE status = 'pending' AND next_attempt_at <= now()
          GROUP BY tenant_id, destination_id, operation ORDER BY operation = 'remove' DESC, min(next_attempt_at) LIMIT $1`,
          [limit],
        ),
    );
    return rows.map((r) => ({
      tenantId: asTenantId(r.tenant_id),
      destinationId: r.destination_id,
      operation: r.operation,
    }));
  }

  /** Locks due pending records of one group (skipping those another replica holds), oldest first. */
  async lockDue(
    m: EntityManager,
    tenantId: TenantId,
    destinationId: string,
    operation: Operation,
    limit: number,
  ): Promise<ExportRecord[]> {
    const rows: RawRecord[] = await m.query(
      `SELECT ${RECORD_COLUMNS} FROM export_records
        WHERE tenant_id = $1 AND destination_id = $2 AND operation = $3 AND status = 'pending' AND next_attempt_at <= now()
        ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED`,
      [tenantId, destinationId, operation, limit],
    );
    return rows.map(mapRecord);
  }

  async authorizations(
    m: EntityManager,
    tenantId: TenantId,
    ids: string[],
  ): Promise<Map<string, { version: number; status: 'active' | 'withdrawn' }>> {
    const rows: Array<{ authorization_id: string; version: number; status: 'active' | 'withdrawn' }> = await m.query(
      `SELECT authorization_id, version, status FROM authorizations WHERE tenant_id = $1 AND authorization_id = ANY($2::uuid[])`,
      [tenantId, [...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.authorization_id, { version: r.version, status: r.status }]));
  }

  /** Keeps the latest version of each authorization (a withdrawal of the same version wins over its activation). */
  async upsertAuthorizations(
    tenantId: TenantId,
    states: Array<{
      authorizationId: string;
      version: number;
      status: 'active' | 'withdrawn';
      destinationId: string;
      destinationKind: string;
      dataUses: string[];
    }>,
  ): Promise<void> {
    await this.db.forTenant(tenantId, async (m) => {
      for (const s of states) {
        await m.query(
          `INSERT INTO authorizations AS a (tenant_id, authorization_id, version, status, destination_id, destination_kind, data_uses)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, authorization_id) DO UPDATE SET
             version = EXCLUDED.version, status = EXCLUDED.status, destination_id = EXCLUDED.destination_id,
             destination_kind = EXCLUDED.destination_kind, data_uses = EXCLUDED.data_uses, updated_at = now()
           WHERE a.version < EXCLUDED.version OR (a.version = EXCLUDED.version AND EXCLUDED.status = 'withdrawn')`,
          [tenantId, s.authorizationId, s.version, s.status, s.destinationId, s.destinationKind, s.dataUses],
        );
      }
    });
  }

  async memberships(
    m: EntityManager,
    tenantId: TenantId,
    destinationId: string,
    memberHashes: string[],
  ): Promise<Map<string, Membership>> {
    const rows: RawMembership[] = await m.query(
      `SELECT * FROM audience_members WHERE tenant_id = $1 AND destination_id = $2 AND member_hash = ANY($3::text[])`,
      [tenantId, destinationId, [...new Set(memberHashes)]],
    );
    return new Map(rows.map((r) => [r.member_hash, mapMembership(r)]));
  }

  /** Current memberships of these customers, locked for the caller's transaction. */
  async membershipsOfCustomers(m: EntityManager, tenantId: TenantId, customerRefs: string[]): Promise<Membership[]> {
    const rows: RawMembership[] = await m.query(
      `SELECT * FROM audience_members WHERE tenant_id = $1 AND customer_ref = ANY($2::text[]) ORDER BY destination_id, member_hash FOR UPDATE`,
      [tenantId, [...new Set(customerRefs)]],
    );
    return rows.map(mapMembership);
  }

  /** Every audience membership of the tenant (offboarding), locked. */
  async membershipsOfTenant(m: EntityManager, tenantId: TenantId): Promise<Membership[]> {
    const rows: RawMembership[] = await m.query(
      `SELECT * FROM audience_members WHERE tenant_id = $1 ORDER BY destination_id, member_hash FOR UPDATE`,
      [tenantId],
    );
    return rows.map(mapMembership);
  }

  async membershipsOfCustomer(m: EntityManager, tenantId: TenantId, customerRef: string): Promise<Membership[]> {
    const rows: RawMembership[] = await m.query(
      `SELECT * FROM audience_members WHERE tenant_id = $1 AND customer_ref = $2 FOR UPDATE`,
      [tenantId, customerRef],
    );
    return rows.map(mapMembership);
  }

  /** Marks records `sending` under a lease, with the consent they were checked against. */
  async markSending(
    m: EntityManager,
    tenantId: TenantId,
    rows: Array<{ id: string; consent: ConsentRef[] }>,
    leaseMs: number,
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await m.query(
      `UPDATE export_records r SET status = 'sending', attempts = r.attempts + 1, checked_at = now(),
              lease_until = now() + ($3::int * interval '1 millisecond'), consent = COALESCE(x.consent, r.consent)
         FROM unnest($2::uuid[], $4::jsonb[]) AS x(id, consent)
        WHERE r.tenant_id = $1 AND r.id = x.id`,
      [
        tenantId,
        rows.map((r) => r.id),
        leaseMs,
        rows.map((r) => (r.consent.length > 0 ? JSON.stringify(r.consent) : null)),
      ],
    );
  }

  /** Leaves records pending until `until` without counting an attempt (waiting for state to arrive). */
  async defer(m: EntityManager, tenantId: TenantId, rows: Array<{ id: string; until: Date }>): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await m.query(
      `UPDATE export_records r SET next_attempt_at = x.until FROM unnest($2::uuid[], $3::timestamptz[]) AS x(id, until)
        WHERE r.tenant_id = $1 AND r.id = x.id`,
      [tenantId, rows.map((r) => r.id), rows.map((r) => r.until.toISOString())],
    );
  }

  /** Puts records back to pending for a retry at the given time (after a transient failure). */
  async retryLater(
    m: EntityManager,
    tenantId: TenantId,
    rows: Array<{ id: string; at: Date; error: DestinationError }>,
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await m.query(
      `UPDATE export_records r SET status = 'pending', lease_until = NULL, next_attempt_at = x.at, error = x.error
         FROM unnest($2::uuid[], $3::timestamptz[], $4::jsonb[]) AS x(id, at, error)
        WHERE r.tenant_id = $1 AND r.id = x.id`,
      [tenantId, rows.map((r) => r.id), rows.map((r) => r.at.toISOString()), rows.map((r) => JSON.stringify(r.error))],
    );
  }

  /** Settles records for good and publishes each outcome to `export.results` (same transaction, via the outbox). */
  async settle(m: EntityManager, tenantId: TenantId, settlements: Settlement[]): Promise<ExportRecord[]> {
    if (settlements.length === 0) {
      return [];
    }
    const rows = returnedRows<RawRecord>(
      await m.query(
        `UPDATE export_records r SET status = x.status, reason = COALESCE(x.reason, r.reason), error = COALESCE(x.error, r.error),
              consent = COALESCE(x.consent, r.consent), batch = x.batch, lease_until = NULL, completed_at = now(),
              checked_at = COALESCE(r.checked_at, now())
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::jsonb[]) AS x(id, status, reason, error, consent, batch)
        WHERE r.tenant_id = $1 AND r.id = x.id
        RETURNING r.*`,
        [
          tenantId,
          settlements.map((s) => s.id),
          settlements.map((s) => s.status),
          settlements.map((s) => s.reason ?? null),
          settlements.map((s) => (s.error ? JSON.stringify(s.error) : null)),
          settlements.map((s) => (s.consent && s.consent.length > 0 ? JSON.stringify(s.consent) : null)),
          settlements.map((s) => (s.batch ? JSON.stringify(s.batch) : null)),
        ],
      ),
    );
    const records = rows.map(mapRecord);
    const now = new Date().toISOString();
    await enqueueOutboxBatch(
      m,
      records.flatMap((r) => {
        const type = RESULT_BY_STATUS[r.status];
        if (!type) {
          return [];
        }
        const event: ExportResultEvent = {
          eventId: `${r.id}:${type}`,
          tenantId,
          occurredAt: now,
          type,
          destinationId: r.destinationId,
          ledgerId: r.id,
          ...(r.messageId ? { messageId: r.messageId } : {}),
          ...(r.reason ? { reason: r.reason } : r.error ? { reason: r.error.message.slice(0, 500) } : {}),
        };
        return [{ topic: Topics.ExportResults, key: `${tenantId}:${r.destinationId}`, payload: event }];
      }),
    );
    return records;
  }

  /** Records confirmed uploads as audience members (an existing membership is kept). */
  async addMembers(m: EntityManager, tenantId: TenantId, records: ExportRecord[]): Promise<void> {
    const adds = records.filter((r) => r.operation === 'add' && r.memberHash);
    if (adds.length === 0) {
      return;
    }
    await m.query(
      `INSERT INTO audience_members (tenant_id, destination_id, member_hash, customer_ref, ad_account_id, target_id, data_uses, state, added_record_id)
       SELECT $1, d, h, w, a, t, string_to_array(du, ' '), 'active', rid
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[]) AS x(d, h, w, a, t, du, rid)
       ON CONFLICT (tenant_id, destination_id, member_hash) DO NOTHING`,
      [
        tenantId,
        adds.map((r) => r.destinationId),
        adds.map((r) => r.memberHash),
        adds.map((r) => r.customerRef),
        adds.map((r) => r.adAccountId),
        adds.map((r) => r.targetId),
        adds.map((r) => r.dataUses.join(' ')),
        adds.map((r) => r.id),
      ],
    );
  }

  async deleteMembers(
    m: EntityManager,
    tenantId: TenantId,
    destinationId: string,
    memberHashes: string[],
  ): Promise<void> {
    await m.query(
      `DELETE FROM audience_members WHERE tenant_id = $1 AND destination_id = $2 AND member_hash = ANY($3::text[])`,
      [tenantId, destinationId, memberHashes],
    );
  }

  /**
   * Starts removing these members from their audiences: one pending removal record per member
   * (idempotent on `remove:<cause>:<member's add record>`, so a redelivered revoke adds nothing), and each
   * membership marked `removing` until the destination confirms. Members already being removed
   * are left to their running removal. One statement for the records, one for the memberships.
   */
  async scheduleRemovals(
    m: EntityManager,
    tenantId: TenantId,
    removals: Array<{ member: Membership; causeKey: string; consent?: ConsentRef[] }>,
    cause: { reason: string; erasureRequestId?: string; trigger?: unknown },
  ): Promise<string[]> {
    const active = removals.filter((r) => r.member.state === 'active');
    if (active.length === 0) {
      return [];
    }
    const created = await this.insertReturning(
      m,
      tenantId,
      active.map(({ member: mb, causeKey, consent }) => ({
        destinationId: mb.destinationId,
        destinationKind: 'customer_list_audience',
        adAccountId: mb.adAccountId,
        targetId: mb.targetId,
        operation: 'remove',
        // The member's add record id, not its hash: a key outlives erasure (the hash of a
        // phone number is not anonymous) and must stay unique per member and cause.
        recordKey: `remove:${causeKey}:${mb.addedRecordId}`,
        authorizationId: null,
        authorizationVersion: null,
        dataUses: mb.dataUses,
        messageId: null,
        conversationId: null,
        customerRef: mb.customerRef,
        memberHash: mb.memberHash,
        eventTime: null,
        ctwaClid: null,
        consent,
      })),
      { reason: cause.reason, erasureRequestId: cause.erasureRequestId, trigger: cause.trigger },
    );
    if (created.length > 0) {
      // By primary key: a join through export_records under row-level security plans badly at scale.
      await m.query(
        `UPDATE audience_members am SET state = 'removing', removal_record_id = x.rid
           FROM unnest($2::uuid[], $3::text[], $4::uuid[]) AS x(d, h, rid)
          WHERE am.tenant_id = $1 AND am.destination_id = x.d AND am.member_hash = x.h`,
        [tenantId, created.map((c) => c.destination_id), created.map((c) => c.member_hash), created.map((c) => c.id)],
      );
    }
    const ids = created.map((c) => c.id);
    return ids;
  }

  async recordsByIds(m: EntityManager, tenantId: TenantId, ids: string[]): Promise<ExportRecord[]> {
    const rows: RawRecord[] = await m.query(
      `SELECT ${RECORD_COLUMNS} FROM export_records WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    return rows.map(mapRecord);
  }

  /** The ledger, newest last, by cursor (the last `seq` seen). */
  page(
    tenantId: TenantId,
    filter: { destinationId?: string; status?: RecordStatus; operation?: Operation },
    limit: number,
    after?: number,
  ): Promise<ExportRecord[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const params: unknown[] = [tenantId, after ?? 0, limit];
      let where = 'tenant_id = $1 AND seq > $2';
      if (filter.destinationId) {
        params.push(filter.destinationId);
        where += ` AND destination_id = $${params.length}`;
      }
      if (filter.status) {
        params.push(filter.status);
        where += ` AND status = $${params.length}`;
      }
      if (filter.operation) {
        params.push(filter.operation);
        where += ` AND operation = $${params.length}`;
      }
      const rows: RawRecord[] = await m.query(
        `SELECT ${RECORD_COLUMNS} FROM export_records WHERE ${where} ORDER BY seq LIMIT $3`,
        params,
      );
      return rows.map(mapRecord);
    });
  }
}
