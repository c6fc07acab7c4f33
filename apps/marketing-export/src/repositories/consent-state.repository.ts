import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantId } from '@custody/database';
import { ConsentStateView } from '../domain/data-use';

export interface ConsentStateChange {
  customerRef: string;
  purposeKey: string;
  subject: string;
  dataUse: string;
  status: 'granted' | 'revoked';
  eventId: string;
  logIndex: number;
  leafHash: string;
  effectiveAt: string;
}

interface RawState {
  customer_ref: string;
  purpose_key: string;
  subject: string;
  data_use: string;
  status: 'granted' | 'revoked';
  event_id: string;
  log_index: string;
  leaf_hash: string;
  effective_at: Date;
}

const mapState = (r: RawState): ConsentStateView & { customerRef: string } => ({
  customerRef: r.customer_ref,
  purposeKey: r.purpose_key,
  subject: r.subject,
  dataUse: r.data_use,
  status: r.status,
  eventId: r.event_id,
  logIndex: Number(r.log_index),
  leafHash: r.leaf_hash,
  effectiveAt: r.effective_at,
});

/**
 * The export's own view of consent: the current state per (tenant, customer, purpose), taken from
 * the compacted consent topic. The log index orders changes, so a redelivered or older event
 * never overwrites a newer state.
 */
@Injectable()
export class ConsentStateRepository {
  /**
   * Serializes, per customer, a consent change with the confirmation of an audience upload (both in
   * their own transactions): without it a revoke could commit unseen by an upload's re-check while
   * the upload's new membership was still unseen by the revoke, leaving a revoked customer in the
   * audience. Transaction-scoped advisory locks, taken in one order so two batches cannot deadlock.
   */
  async lockCustomers(m: EntityManager, tenantId: TenantId, customerRefs: string[]): Promise<void> {
    const keys = [...new Set(customerRefs)]
      .map((w) => createHash('sha256').update(`${tenantId}:${w}`).digest().readBigInt64BE(0))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) {
      return;
    }
    await m.query(`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`, [keys.map(String)]);
  }

  /** Applies changes in one statement, in the caller's transaction; returns the changes that took effect (newer than what was held). */
  async applyIn(m: EntityManager, tenantId: TenantId, changes: ConsentStateChange[]): Promise<ConsentStateChange[]> {
    if (changes.length === 0) {
      return [];
    }
    // Within one call, only the newest change per key can win (ON CONFLICT cannot touch a row twice).
    const newest = new Map<string, ConsentStateChange>();
    for (const c of changes) {
      const key = `${c.customerRef}\u0000${c.purposeKey}`;
      const held = newest.get(key);
      if (!held || held.logIndex < c.logIndex) {
        newest.set(key, c);
      }
    }
    const rows = [...newest.values()];
    const applied: Array<{ customer_ref: string; purpose_key: string }> = await m.query(
      `INSERT INTO consent_states AS s (tenant_id, customer_ref, purpose_key, subject, data_use, status, event_id, log_index, leaf_hash, effective_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::timestamptz[])
         ON CONFLICT (tenant_id, customer_ref, purpose_key) DO UPDATE SET
           subject = EXCLUDED.subject, data_use = EXCLUDED.data_use, status = EXCLUDED.status, event_id = EXCLUDED.event_id,
           log_index = EXCLUDED.log_index, leaf_hash = EXCLUDED.leaf_hash, effective_at = EXCLUDED.effective_at, updated_at = now()
         WHERE s.log_index < EXCLUDED.log_index
         RETURNING customer_ref, purpose_key`,
      [
        tenantId,
        rows.map((r) => r.customerRef),
        rows.map((r) => r.purposeKey),
        rows.map((r) => r.subject),
        rows.map((r) => r.dataUse),
        rows.map((r) => r.status),
        rows.map((r) => r.eventId),
        rows.map((r) => r.logIndex),
        rows.map((r) => r.leafHash),
        rows.map((r) => r.effectiveAt),
      ],
    );
    const took = new Set(applied.map((a) => `${a.customer_ref}\u0000${a.purpose_key}`));
    return rows.filter((r) => took.has(`${r.customerRef}\u0000${r.purposeKey}`));
  }

  /** Current states of these customers, inside the caller's transaction. */
  async forCustomers(
    m: EntityManager,
    tenantId: TenantId,
    customerRefs: string[],
  ): Promise<Map<string, ConsentStateView[]>> {
    const out = new Map<string, ConsentStateView[]>();
    if (customerRefs.length === 0) {
      return out;
    }
    const rows: RawState[] = await m.query(
      `SELECT customer_ref, purpose_key, subject, data_use, status, event_id, log_index, leaf_hash, effective_at
         FROM consent_states WHERE tenant_id = $1 AND customer_ref = ANY($2::text[])`,
      [tenantId, [...new Set(customerRefs)]],
    );
    for (const r of rows) {
      const state = mapState(r);
      out.set(state.customerRef, [...(out.get(state.customerRef) ?? []), state]);
    }
    return out;
  }
}
