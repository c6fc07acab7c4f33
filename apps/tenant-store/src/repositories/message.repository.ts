import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdReferral, MessageEvent, StatusEvent } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import type { ConversationFacts } from '../services/marketing-candidates';
import { currentStatus, NetworkStatus, StoredStatus } from '../services/message-status';

export interface ConversationUpsert {
  id: string;
  phoneNumberId: string;
  waId: string;
  profileName: string | null;
  referral: unknown;
  lastMessageAt: string;
  lastCustomerMessageAt: string | null;
}

export interface ConversationRow {
  id: string;
  phone_number_id: string;
  customer_wa_id: string;
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
   * Upserts conversations; returns the ids of those created now, and the labels and referral of
   * each (what marketing authorization scopes look at), read in the same statement.
   */
  async upsertConversations(
    m: EntityManager,
    tenantId: TenantId,
    rows: ConversationUpsert[],
  ): Promise<{ created: string[]; facts: Map<string, ConversationFacts> }> {
    const result: Array<{ id: string; inserted: boolean; labels: string[]; referral: AdReferral | null }> = await m.query(
      `INSERT INTO conversations (id, tenant_id, phone_number_id, customer_wa_id, customer_profile_name, referral, last_message_at, last_customer_message_at)
       SELECT x.id, $1, x.pn, x.wa, x.name, x.ref, x.last, x.cust
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[])
           AS x(id, pn, wa, name, ref, last, cust)
       ON CONFLICT (id) DO UPDATE SET
         last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at),
         last_customer_message_at = GREATEST(conversations.last_customer_message_at, EXCLUDED.last_customer_message_at),
         customer_profile_name = COALESCE(EXCLUDED.customer_profile_name, conversations.customer_profile_name),
         referral = COALESCE(conversations.referral, EXCLUDED.referral)
       RETURNING id, (xmax = 0) AS inserted, labels, referral`,
      [
        tenantId,
        rows.map((r) => r.id),
        rows.map((r) => r.phoneNumberId),
        rows.map((r) => r.waId),
        rows.map((r) => r.profileName),
        rows.map((r) => (r.referral ? JSON.stringify(r.referral) : null)),
        rows.map((r) => r.lastMessageAt),
        rows.map((r) => r.lastCustomerMessageAt),
      ],
    );
    return {
      created: result.filter((r) => r.inserted).map((r) => r.id),
      facts: new Map(result.map((r) => [r.id, { labels: r.labels, referral: r.referral }])),
    };
  }

  async markNoticeSent(m: EntityManager, conversationIds: string[]): Promise<void> {
    await m.query(`UPDATE conversations SET notice_sent_at = now() WHERE id = ANY($1::uuid[]) AND notice_sent_at IS NULL`, [conversationIds]);
  }

  /** Inserts messages that are not stored yet; returns the ids inserted now (a replay inserts none). */
  /** `ciphertexts` holds each message's encrypted content, by message id. */
  async insertMessages(m: EntityManager, tenantId: TenantId, events: MessageEvent[], ciphertexts: Map<string, string>): Promise<Set<string>> {
    const rows: Array<{ message_id: string }> = await m.query(
      `INSERT INTO messages (message_id, tenant_id, conversation_id, direction, origin, message_type, content_ciphertext, context_message_id, network_timestamp, status)
       SELECT x.id, $1, x.conv, x.dir, x.origin, x.type, x.content, x.ctx, x.ts, x.status
         FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[])
           AS x(id, conv, dir, origin, type, content, ctx, ts, status)
       ON CONFLICT (message_id) DO NOTHING
       RETURNING message_id`,
      [
        tenantId,
        events.map((e) => e.messageId),
        events.map((e) => e.conversationId),
        events.map((e) => (e.type === 'message.inbound' ? 'inbound' : 'outbound')),
        events.map((e) => e.origin),
        events.map((e) => e.messageType),
        events.map((e) => ciphertexts.get(e.messageId)!),
        events.map((e) => e.contextMessageId ?? null),
        events.map((e) => e.networkTimestamp),
        events.map((e) => (e.type === 'message.inbound' ? 'received' : 'accepted')),
      ],
    );
    return new Set(rows.map((r) => r.message_id));
  }

  /** Media ids of newly stored media messages (a replay inserts none). */
  async insertMediaRefs(m: EntityManager, tenantId: TenantId, refs: Array<{ id: string; messageId: string; mediaType: string; expiresAt: string }>): Promise<void> {
    if (refs.length === 0) {
      return;
    }
    await m.query(
      `INSERT INTO media_refs (id, tenant_id, message_id, media_type, expires_at)
       SELECT x.id, $1, x.msg, x.type, x.exp FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(id, msg, type, exp)
       ON CONFLICT (id) DO NOTHING`,
      [tenantId, refs.map((r) => r.id), refs.map((r) => r.messageId), refs.map((r) => r.mediaType), refs.map((r) => r.expiresAt)],
    );
  }

  /** Inserts statuses not seen before; returns the `(message, status)` pairs that are new. */
  async insertStatuses(m: EntityManager, tenantId: TenantId, events: StatusEvent[]): Promise<Set<string>> {
    const rows: Array<{ message_id: string; status: string }> = await m.query(
      `INSERT INTO message_statuses (message_id, status, tenant_id, network_timestamp, errors)
       SELECT x.id, x.status, $1, x.ts, x.errors
         FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS x(id, status, ts, errors)
       ON CONFLICT (message_id, status) DO NOTHING
       RETURNING message_id, status`,
      [
        tenantId,
        events.map((e) => e.messageId),
        events.map((e) => e.status),
        events.map((e) => e.networkTimestamp),
        events.map((e) => (e.errors ? JSON.stringify(e.errors) : null)),
      ],
    );
    return new Set(rows.map((r) => `${r.message_id}:${r.status}`));
  }

  /**
   * Recomputes the status of these outbound messages from their whole history (statuses may
   * arrive before the message itself). Returns the status of each message that exists.
   */
  async recomputeStatuses(m: EntityManager, messageIds: string[]): Promise<Map<string, StoredStatus>> {
    if (messageIds.length === 0) {
      return new Map();
    }
    const history: Array<{ message_id: string; statuses: NetworkStatus[] }> = await m.query(
      `SELECT message_id, array_agg(status) AS statuses FROM message_statuses WHERE message_id = ANY($1::text[]) GROUP BY message_id`,
      [messageIds],
    );
    const computed = new Map(history.map((h) => [h.message_id, currentStatus(h.statuses)]));
    if (computed.size === 0) {
      return new Map();
    }
    // An UPDATE … RETURNING answers [rows, affected] through TypeORM's query().
    const [updated]: [Array<{ message_id: string; status: StoredStatus }>, number] = await m.query(
      `UPDATE messages SET status = x.status, status_updated_at = now()
         FROM unnest($1::text[], $2::text[]) AS x(id, status)
        WHERE messages.message_id = x.id AND messages.direction = 'outbound' AND messages.status <> x.status
        RETURNING messages.message_id, messages.status`,
      [[...computed.keys()], [...computed.values()]],
    );
    const existing: Array<{ message_id: string; status: StoredStatus }> = await m.query(
      `SELECT message_id, status FROM messages WHERE message_id = ANY($1::text[])`,
      [[...computed.keys()]],
    );
    const result = new Map(existing.map((r) => [r.message_id, r.status]));
    for (const u of updated) {
      result.set(u.message_id, u.status);
    }
    return result;
  }

  listConversations(
    tenantId: TenantId,
    filter: { customer?: string; since?: string; until?: string; status?: string; label?: string; limit: number; after?: { at: string; id: string } },
  ): Promise<ConversationRow[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT c.* FROM conversations c
          WHERE c.tenant_id = $1
            AND ($2::text IS NULL OR c.customer_wa_id = $2)
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

  async getConversation(tenantId: TenantId, id: string, messageLimit: number): Promise<{ conversation: ConversationRow; messages: MessageRow[] } | null> {
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

  async statusHistory(tenantId: TenantId, messageId: string): Promise<{ message: MessageRow; history: StatusRow[] } | null> {
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
