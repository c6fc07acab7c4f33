import { Injectable } from '@nestjs/common';
import { offboardedTenantHash } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import { conversationOf, PendingWebhook } from '../services/webhook-envelope';

export interface ClaimedWebhook extends PendingWebhook {
  attempts: number;
  createdAt: Date;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  kind: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** A stored event due to a tenant as a webhook, as the repository records it. */
export interface NewDelivery {
  eventId: string;
  businessAccountId: string;
  phoneNumberId: string;
  kind: PendingWebhook['kind'];
  payload: PendingWebhook['payload'];
}

/** How one direct POST went. */
export interface DirectOutcome {
  url: string;
  status: number | null;
  error: string | null;
  durationMs: number;
  /** When a failed one is due again (null: past the retry horizon). */
  nextAttemptAt: Date | null;
}

/**
 * A webhook POST in flight when its tenant is offboarded must not write its outcome back after
 * ingest removed the tenant's rows: the writes check the offboarding record in the same statement
 * (an index probe, no extra round trip).
 */
const NOT_OFFBOARDED = (param: string): string =>
  `NOT EXISTS (SELECT 1 FROM offboarded_tenants WHERE tenant_hash = ${param})`;

/** Webhook deliveries and their attempts, per tenant. */
@Injectable()
export class WebhookRepository {
  constructor(private readonly db: TenantDb) {}

  async enqueue(tenantId: TenantId, rows: NewDelivery[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO webhook_deliveries (tenant_id, event_id, business_account_id, phone_number_id, kind, payload, conversation_id)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[])
          WHERE ${NOT_OFFBOARDED('$8')}
         ON CONFLICT (tenant_id, event_id) DO NOTHING`,
        [
          tenantId,
          rows.map((r) => r.eventId),
          rows.map((r) => r.businessAccountId),
          rows.map((r) => r.phoneNumberId),
          rows.map((r) => r.kind),
          rows.map((r) => JSON.stringify(r.payload)),
          rows.map((r) => conversationOf(r.payload)),
          offboardedTenantHash(tenantId),
        ],
      ),
    );
  }

  /**
   * Records the first, direct attempts of webhooks, one transaction for all the POSTs of a batch:
   * per POST the deliveries (a delivered one without its payload: nothing of a delivered message
   * is kept; a failed one pending with its payload, for the retrying worker) and the attempt, in
   * one statement. An event recorded before (a replay) is left as it is.
   */
  async recordDirect(tenantId: TenantId, posts: Array<{ rows: NewDelivery[]; outcome: DirectOutcome }>): Promise<void> {
    const nonEmpty = posts.filter((p) => p.rows.length > 0);
    if (nonEmpty.length === 0) {
      return;
    }
    const hash = offboardedTenantHash(tenantId);
    await this.db.forTenant(tenantId, async (m) => {
      for (const { rows, outcome } of nonEmpty) {
        const delivered = outcome.error === null;
        await m.query(
          `WITH d AS (
             INSERT INTO webhook_deliveries (tenant_id, event_id, business_account_id, phone_number_id, kind, payload, conversation_id,
                                             state, attempts, next_attempt_at, last_status, last_error, delivered_at)
             SELECT $1, x.e, x.b, x.p, x.k, x.payload, x.c, $7, 1, COALESCE($8, now()), $9, $10, CASE WHEN $7 = 'delivered' THEN now() END
               FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $13::uuid[]) AS x(e, b, p, k, payload, c)
              WHERE ${NOT_OFFBOARDED('$14')}
             ON CONFLICT (tenant_id, event_id) DO NOTHING
             RETURNING id)
           INSERT INTO webhook_attempts (tenant_id, delivery_ids, url, status_code, error, duration_ms)
           SELECT $1, array_agg(id ORDER BY id), $11, $9, $10, $12 FROM d HAVING count(*) > 0`,
          [
            tenantId,
            rows.map((r) => r.eventId),
            rows.map((r) => r.businessAccountId),
            rows.map((r) => r.phoneNumberId),
            rows.map((r) => r.kind),
            rows.map((r) => (delivered ? null : JSON.stringify(r.payload))),
            delivered ? 'delivered' : outcome.nextAttemptAt ? 'pending' : 'expired',
            outcome.nextAttemptAt,
            outcome.status,
            outcome.error?.slice(0, 500) ?? null,
            outcome.url,
            outcome.durationMs,
            rows.map((r) => conversationOf(r.payload)),
            hash,
          ],
        );
      }
    });
  }

  /** Pending deliveries of every tenant and the age of the oldest, for the metrics. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const rows: Array<{ pending: number; age: number | null }> = await this.db.forPlatform((m) =>
      m.query(
        `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS age FROM webhook_deliveries WHERE state = 'pending'`,
      ),
    );
    return { pending: rows[0]?.pending ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
  }

  /** Tenants with deliveries due now (platform scope: the worker serves every tenant). */
  async dueTenants(limit: number): Promise<TenantId[]> {
    const rows: Array<{ tenant_id: TenantId }> = await this.db.forPlatform((m) =>
      m.query(
        `SELECT tenant_id FROM webhook_deliveries
          WHERE state = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
          GROUP BY tenant_id ORDER BY min(next_attempt_at) LIMIT $1`,
        [limit],
      ),
    );
    return rows.map((r) => r.tenant_id);
  }

  /** Claims up to `limit` due deliveries of one tenant for `leaseSeconds`. */
  async claim(tenantId: TenantId, limit: number, leaseSeconds: number): Promise<ClaimedWebhook[]> {
    const [rows]: [
      Array<{
        id: string;
        business_account_id: string;
        phone_number_id: string;
        kind: PendingWebhook['kind'];
        payload: PendingWebhook['payload'];
        attempts: number;
        created_at: Date;
        display_phone_number: string | null;
      }>,
      number,
    ] = await this.db.forTenant(tenantId, (m) =>
      // An UPDATE … RETURNING answers [rows, affected] through TypeORM's query().
      m.query(
        `WITH due AS (
           SELECT id FROM webhook_deliveries
            WHERE tenant_id = $1 AND state = 'pending' AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until < now())
            ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $3)
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.business_account_id, d.phone_number_id, d.kind, d.payload, d.attempts, d.created_at,
           (SELECT display_phone_number FROM tenant_numbers n WHERE n.phone_number_id = d.phone_number_id) AS display_phone_number`,
        [tenantId, limit, leaseSeconds],
      ),
    );
    return rows
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((r) => ({
        id: r.id,
        businessAccountId: r.business_account_id,
        phoneNumberId: r.phone_number_id,
        displayPhoneNumber: r.display_phone_number ?? '',
        kind: r.kind,
        payload: r.payload,
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
  }

  async markDelivered(tenantId: TenantId, ids: string[]): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), attempts = attempts + 1,
           locked_until = NULL, last_error = NULL, last_status = 200, payload = NULL WHERE id = ANY($1::bigint[])`,
        [ids],
      ),
    );
  }

  async markFailed(
    tenantId: TenantId,
    items: Array<{ id: string; nextAttemptAt: Date | null }>,
    status: number | null,
    error: string,
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE webhook_deliveries d SET attempts = attempts + 1, locked_until = NULL, last_status = $2, last_error = $3,
           state = CASE WHEN x.next IS NULL THEN 'expired' ELSE 'pending' END,
           next_attempt_at = COALESCE(x.next, d.next_attempt_at)
         FROM unnest($1::bigint[], $4::timestamptz[]) AS x(id, next) WHERE d.id = x.id`,
        [items.map((i) => i.id), status, error.slice(0, 500), items.map((i) => i.nextAttemptAt)],
      ),
    );
  }

  async recordAttempt(
    tenantId: TenantId,
    ids: string[],
    url: string,
    status: number | null,
    error: string | null,
    durationMs: number,
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO webhook_attempts (tenant_id, delivery_ids, url, status_code, error, duration_ms)
         SELECT $1, $2, $3, $4, $5, $6 WHERE ${NOT_OFFBOARDED('$7')}`,
        [tenantId, ids, url, status, error?.slice(0, 500) ?? null, durationMs, offboardedTenantHash(tenantId)],
      ),
    );
  }

  async list(tenantId: TenantId, state: string | undefined, limit: number, beforeId?: string): Promise<DeliveryView[]> {
    const rows: Array<Record<string, unknown>> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT id, event_id, kind, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
           FROM webhook_deliveries
          WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $4`,
        [tenantId, state ?? null, beforeId ?? null, limit],
      ),
    );
    return rows.map((r) => ({
      id: String(r.id),
      eventId: String(r.event_id),
      kind: String(r.kind),
      state: String(r.state),
      attempts: Number(r.attempts),
      nextAttemptAt: r.state === 'pending' ? (r.next_attempt_at as Date).toISOString() : null,
      lastStatus: (r.last_status as number | null) ?? null,
      lastError: (r.last_error as string | null) ?? null,
      createdAt: (r.created_at as Date).toISOString(),
      deliveredAt: r.delivered_at ? (r.delivered_at as Date).toISOString() : null,
    }));
  }
}
