import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdReferral, MessageEvent, StatusEvent } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import type { ConversationFacts } from '../services/marketing-candidates';
import { CURRENT_STATUS_SQL, NetworkStatus, StoredStatus } from '../services/message-status';

export interface ConversationUpsert {
  id: string;
  phoneNumberId: string;
  /** The customer's reference and sealed number (never the number in clear). */
  customerRef: string;
  waIdCiphertext: string;
  profileName: string | null;
  referral: unknown;
  lastMessageAt: string;
  lastCustomerMessageAt: string | null;
}

export interface ConversationRow {
  id: string;
  phone_number_id: string;
  customer_ref: string;
  customer_wa_id_ciphertext: string;
  customer_profile_name: string | null;
  referral: Record<string, unknown> | null;
  created_at: Date;
  last_message_at: Date;
  last_customer_message_at: Date | null;
  notice_sent_at: Date | null;
  labels: string[];
}

export interface MessageRow {
  message_id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  origin: 'customer' | 'business' | 'system';
  message_type: string;
  content_ciphertext: string;
  context_message_id: string | null;
  network_timestamp: Date;
  received_at: Date;
  status: StoredStatus;
  status_updated_at: Date | null;
}

export interface StatusRow {
  status: NetworkStatus;
  network_timestamp: Date;
  received_at: Date;
  errors: unknown;
}

/** Conversations, messages and status history at rest. Every method takes the tenant. */
@Injectable()
export class MessageRepository {
  constructor(private readonly db: TenantDb) {}

  transaction<T>(tenantId: TenantId, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.forTenant(tenantId, work);
  }

  async tenantExists(m: EntityManager, tenantId: TenantId): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId]);
    return rows.length > 0;
  }

  /**
   * One statement for a batch of messages: checks the tenant still exists, upserts the
   * conversations (a new one is marked as having had its hosted-chat notice, which the caller
   * enqueues in the same transaction), inserts the messages not stored yet with the status their
   * already-arrived statuses give them (statuses may come before the message), and returns what
   * the outbox needs. Nothing is written when the tenant is gone. A replay inserts nothing.
   */
  async storeMessageBatch(
    m: EntityManager,
    tenantId: TenantId,
    conversations: ConversationUpsert[],
    events: MessageEvent[],
    ciphertexts: Map<string, string>,
  ): Promise<{
    tenantExists: boolean;
    created: string[];
    facts: Map<string, ConversationFacts>;
    inserted: Set<string>;
  }> {
    const [row]: Array<{
      tenant: boolean;
      conversations: Array<{ id: string; inserted: boolean; labels: string[]; referral: AdReferral | null }>;
      inserted: string[];
    }> = await m.query(
      `WITH t AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1) AS ok),
       conv AS (
         INSERT INTO conversations (id, tenant_id, phone_number_id, customer_ref, customer_wa_id_ciphertext, customer_profile_name, referral, last_message_at, last_customer_message_at, notice_sent_at)
         SELECT x.id, $1, x.pn, x.cref, x.cwa, x.name, x.ref, x.last, x.cust, now()
           FROM unnest($2::uuid[], $3::text[], $4::text[], $17::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[])
             AS x(id, pn, cref, cwa, name, ref, last, cust)
          WHERE (SELECT ok FROM t)
         ON CONFLICT (id) DO UPDATE SET
           last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at),
           last_customer_message_at = GREATEST(conversations.last_customer_message_at, EXCLUDED.last_customer_message_at),
           customer_profile_name = COALESCE(EXCLUDED.customer_profile_name, conversations.customer_profile_name),
           referral = COALESCE(conversations.referral, EXCLUDED.referral)
         RETURNING id, (xmax = 0) AS inserted, labels, referral),
       msg AS (
         INSERT INTO messages (message_id, tenant_id, conversation_id, direction, origin, message_type, content_ciphertext, context_message_id, network_timestamp, status, status_updated_at)
         SELECT x.id, $1, x.conv, x.dir, x.origin, x.type, x.content, x.ctx, x.ts,
                CASE WHEN x.dir = 'inbound' THEN 'received' ELSE COALESCE(s.status, 'accepted') END,
                CASE WHEN s.status IS NOT NULL THEN now() END
           FROM unnest($9::text[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::timestamptz[])
             AS x(id, conv, dir, origin, type, content, ctx, ts)
           LEFT JOIN LATERAL (
             SELECT ${CURRENT_STATUS_SQL} AS status FROM message_statuses ms WHERE ms.message_id = x.id HAVING count(*) > 0
           ) s ON x.dir = 'outbound'
          WHERE (SELECT ok FROM t)
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id)
       SELECT (SELECT ok FROM t) AS tenant,
              (SELECT COALESCE(json_agg(json_build_object('id', id, 'inserted', inserted, 'labels', labels, 'referral', referral)), '[]'::json) FROM conv) AS conversations,
              (SELECT COALESCE(json_agg(message_id), '[]'::json) FROM msg) AS inserted`,
      [
        tenantId,
        conversations.map((r) => r.id),
        conversations.map((r) => r.phoneNumberId),
        conversations.map((r) => r.customerRef),
        conversations.map((r) => r.profileName),
        conversations.map((r) => (r.referral ? JSON.stringify(r.referral) : null)),
        conversations.map((r) => r.lastMessageAt),
        conversations.map((r) => r.lastCustomerMessageAt),
        events.map((e) => e.messageId),
        events.map((e) => e.conversationId),
        events.map((e) => (e.type === 'message.inbound' ? 'inbound' : 'outbound')),
        events.map((e) => e.origin),
        events.map((e) => e.messageType),
        events.map((e) => ciphertexts.get(e.messageId)!),
        events.map((e) => e.contextMessageId ?? null),
        events.map((e) => e.networkTimestamp),
        conversations.map((r) => r.waIdCiphertext),
      ],
    );
    return {
      tenantExists: row.tenant,
      created: row.conversations.filter((c) => c.inserted).map((c) => c.id),
      facts: new Map(row.conversations.map((c) => [c.id, { labels: c.labels, referral: c.referral }])),
      inserted: new Set(row.inserted),
    };
  }

  /** Media ids of newly stored media messages (a replay inserts none). */
  async insertMediaRefs(
    m: EntityManager,
    tenantId: TenantId,
    refs: Array<{ id: string; messageId: string; mediaType: string; expiresAt: string }>,
  ): Promise<void> {
    if (refs.length === 0) {
      return;
    }
    await m.query(
      `INSERT INTO media_refs (id, tenant_id, message_id, media_type, expires_at)
       SELECT x.id, $1, x.msg, x.type, x.exp FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(id, msg, type, exp)
       ON CONFLICT (id) DO NOTHING`,
      [
        tenantId,
        refs.map((r) => r.id),
        refs.map((r) => r.messageId),
        refs.map((r) => r.mediaType),
        refs.map((r) => r.expiresAt),
      ],
    );
  }

  /**
   * One statement for a batch of statuses: checks the tenant still exists, inserts the statuses
   * not seen before, recomputes each message's status from its whole history (the new statuses
   * included; any order, duplicates) and updates the outbound messages whose status moved.
   * Returns the `(message, status)` pairs that are new (`<id>:<status>`) and the status of each
   * message that exists. Nothing is written when the tenant is gone.
   */
  async storeStatusBatch(
    m: EntityManager,
    tenantId: TenantId,
    events: StatusEvent[],
  ): Promise<{ tenantExists: boolean; fresh: Set<string>; current: Map<string, StoredStatus> }> {
    const [row]: Array<{ tenant: boolean; fresh: Array<[string, string]>; current: Array<[string, StoredStatus]> }> =
      await m.query(
        `WITH t AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1) AS ok),
       ins AS (
         INSERT INTO message_statuses (message_id, status, tenant_id, network_timestamp, errors)
         SELECT x.id, x.status, $1, x.ts, x.errors
           FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS x(id, status, ts, errors)
          WHERE (SELECT ok FROM t)
         ON CONFLICT (message_id, status) DO NOTHING
         RETURNING message_id, status),
       hist AS (
         SELECT message_id, status FROM message_statuses WHERE message_id = ANY($2::text[])
         UNION ALL SELECT message_id, status FROM ins),
       computed AS (SELECT message_id, ${CURRENT_STATUS_SQL} AS status FROM hist ms GROUP BY message_id),
       upd AS (
         UPDATE messages SET status = c.status, status_updated_at = now()
           FROM computed c
          WHERE messages.message_id = c.message_id AND messages.direction = 'outbound' AND messages.status <> c.status
          RETURNING messages.message_id, messages.status)
       SELECT (SELECT ok FROM t) AS tenant,
              (SELECT COALESCE(json_agg(json_build_array(message_id, status)), '[]'::json) FROM ins) AS fresh,
              (SELECT COALESCE(json_agg(json_build_array(mm.message_id, COALESCE(u.status, mm.status))), '[]'::json)
                 FROM messages mm JOIN computed c ON c.message_id = mm.message_id
                 LEFT JOIN upd u ON u.message_id = mm.message_id) AS current`,
        [
          tenantId,
          events.map((e) => e.messageId),
          events.map((e) => e.status),
          events.map((e) => e.networkTimestamp),
          events.map((e) => (e.errors ? JSON.stringify(e.errors) : null)),
        ],
      );
    return {
      tenantExists: row.tenant,
      fresh: new Set(row.fresh.map(([id, status]) => `${id}:${status}`)),
      current: new Map(row.current),
    };
  }

  listConversations(
    tenantId: TenantId,
    filter: {
      customer?: string;
      since?: string;
      until?: string;
      status?: string;
      label?: string;
      limit: number;
      after?: { at: string; id: string };
    },
  ): Promise<ConversationRow[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT c.* FROM conversations c
          WHERE c.tenant_id = $1
            AND ($2::text IS NULL OR c.customer_ref = $2)
            AND ($3::timestamptz IS NULL OR c.last_message_at >= $3)
            AND ($4::timestamptz IS NULL OR c.last_message_at < $4)
            AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM messages mm WHERE mm.conversation_id = c.id AND mm.status = $5))
            AND ($6::timestamptz IS NULL OR (c.last_message_at, c.id) < ($6::timestamptz, $7::uuid))
            AND ($9::text IS NULL OR $9 = ANY(c.labels))
          ORDER BY c.last_message_at DESC, c.id DESC
          LIMIT $8`,
        [
          tenantId,
          filter.customer ?? null,
          filter.since ?? null,
          filter.until ?? null,
          filter.status ?? null,
          filter.after?.at ?? null,
          filter.after?.id ?? null,
          filter.limit,
          filter.label ?? null,
        ],
      ),
    );
  }

  async getConversation(
    tenantId: TenantId,
    id: string,
    messageLimit: number,
  ): Promise<{ conversation: ConversationRow; messages: MessageRow[] } | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: ConversationRow[] = await m.query(`SELECT * FROM conversations WHERE id = $1`, [id]);
      if (!rows[0]) {
        return null;
      }
      const messages: MessageRow[] = await m.query(
        `SELECT * FROM (SELECT * FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY network_timestamp DESC, message_id DESC LIMIT $3) recent
          ORDER BY network_timestamp, message_id`,
        [tenantId, id, messageLimit],
      );
      return { conversation: rows[0], messages };
    });
  }

  /** Replaces a conversation's labels; null when the conversation is not the tenant's. */
  async setLabels(tenantId: TenantId, id: string, labels: string[]): Promise<string[] | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const [rows]: [Array<{ labels: string[] }>, number] = await m.query(
        `UPDATE conversations SET labels = $3 WHERE tenant_id = $1 AND id = $2 RETURNING labels`,
        [tenantId, id, labels],
      );
      return rows[0]?.labels ?? null;
    });
  }

  /** Removes one label from a conversation; null when the conversation is not the tenant's. */
  async removeLabel(tenantId: TenantId, id: string, label: string): Promise<string[] | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const [rows]: [Array<{ labels: string[] }>, number] = await m.query(
        `UPDATE conversations SET labels = array_remove(labels, $3) WHERE tenant_id = $1 AND id = $2 RETURNING labels`,
        [tenantId, id, label],
      );
      return rows[0]?.labels ?? null;
    });
  }

  async statusHistory(
    tenantId: TenantId,
    messageId: string,
  ): Promise<{ message: MessageRow; history: StatusRow[] } | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: MessageRow[] = await m.query(`SELECT * FROM messages WHERE message_id = $1`, [messageId]);
      if (!rows[0]) {
        return null;
      }
      const history: StatusRow[] = await m.query(
        `SELECT status, network_timestamp, received_at, errors FROM message_statuses WHERE message_id = $1 ORDER BY network_timestamp, received_at`,
        [messageId],
      );
      return { message: rows[0], history };
    });
  }
}
