import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { conversationIdFor, ERASURE_SERVICES, ErasureResultEvent } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';

export interface ErasureRequestRow {
  id: string;
  status: 'pending' | 'completed';
  customer_ciphertext: string | null;
  idempotency_key: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface ErasureServiceRow {
  request_id: string;
  service: string;
  status: 'pending' | 'erased' | 'nothing_found' | 'failed';
  counts: Record<string, number> | null;
  error: string | null;
  updated_at: Date;
}

export interface ErasureWithServices {
  request: ErasureRequestRow;
  services: ErasureServiceRow[];
}

const DONE = ['erased', 'nothing_found'];

/** Erasure requests and the per-service status rows. Every method takes the tenant. */
@Injectable()
export class ErasureRepository {
  constructor(private readonly db: TenantDb) {}

  transaction<T>(tenantId: TenantId, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.forTenant(tenantId, work);
  }

  /** The customer's conversations: one per number of the tenant (ids derive from tenant, number and wa_id). */
  async conversationIdsOf(m: EntityManager, tenantId: TenantId, customerRef: string): Promise<string[]> {
    const numbers: Array<{ phone_number_id: string }> = await m.query(
      `SELECT phone_number_id FROM phone_numbers WHERE tenant_id = $1`,
      [tenantId],
    );
    return numbers.map((n) => conversationIdFor(tenantId, n.phone_number_id, customerRef));
  }

  /** Serializes request creation per tenant, so two concurrent requests for one customer make one. */
  async lockTenant(m: EntityManager, tenantId: TenantId): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('custody.erasure:' || $1::text, 0))`, [tenantId]);
  }

  async byIdempotencyKey(m: EntityManager, tenantId: TenantId, key: string): Promise<ErasureRequestRow | null> {
    const rows: ErasureRequestRow[] = await m.query(
      `SELECT * FROM erasure_requests WHERE tenant_id = $1 AND idempotency_key = $2`,
      [tenantId, key],
    );
    return rows[0] ?? null;
  }

  async pending(m: EntityManager, tenantId: TenantId): Promise<ErasureRequestRow[]> {
    return m.query(`SELECT * FROM erasure_requests WHERE tenant_id = $1 AND status = 'pending' ORDER BY created_at`, [
      tenantId,
    ]);
  }

  async insert(
    m: EntityManager,
    tenantId: TenantId,
    row: { id: string; customerCiphertext: string; idempotencyKey: string | null; requestedBy: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO erasure_requests (id, tenant_id, status, customer_ciphertext, idempotency_key, requested_by) VALUES ($1, $2, 'pending', $3, $4, $5)`,
      [row.id, tenantId, row.customerCiphertext, row.idempotencyKey, row.requestedBy],
    );
    await m.query(
      `INSERT INTO erasure_service_status (request_id, service, tenant_id, status) SELECT $1, s, $2, 'pending' FROM unnest($3::text[]) AS s`,
      [row.id, tenantId, [...ERASURE_SERVICES]],
    );
  }

  async get(tenantId: TenantId, id: string, m?: EntityManager): Promise<ErasureWithServices | null> {
    const read = async (em: EntityManager) => {
      const rows: ErasureRequestRow[] = await em.query(
        `SELECT * FROM erasure_requests WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      if (!rows[0]) {
        return null;
      }
      const services: ErasureServiceRow[] = await em.query(
        `SELECT * FROM erasure_service_status WHERE tenant_id = $1 AND request_id = $2`,
        [tenantId, id],
      );
      return { request: rows[0], services };
    };
    return m ? read(m) : this.db.forTenant(tenantId, read);
  }

  async list(
    tenantId: TenantId,
    filter: { status?: string; limit: number; after?: { at: string; id: string } },
  ): Promise<ErasureWithServices[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const requests: ErasureRequestRow[] = await m.query(
        `SELECT * FROM erasure_requests
          WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
            AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
          ORDER BY created_at DESC, id DESC LIMIT $5`,
        [tenantId, filter.status ?? null, filter.after?.at ?? null, filter.after?.id ?? null, filter.limit],
      );
      const services: ErasureServiceRow[] = requests.length
        ? await m.query(`SELECT * FROM erasure_service_status WHERE tenant_id = $1 AND request_id = ANY($2::uuid[])`, [
            tenantId,
            requests.map((r) => r.id),
          ])
        : [];
      return requests.map((request) => ({ request, services: services.filter((s) => s.request_id === request.id) }));
    });
  }

  /**
   * Records one service's report. A success is never downgraded (a replayed report does not turn
   * `erased` into `nothing_found` or `failed`); a failure may be followed by a success, and
   * `nothing_found` by `erased`. When every service has succeeded, the request completes and the
   * encrypted number is dropped.
   * Returns whether the request completed now.
   */
  async applyResult(tenantId: TenantId, result: ErasureResultEvent): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `UPDATE erasure_service_status SET status = $3, counts = $4, error = $5, attempt = $6, updated_at = now()
          WHERE tenant_id = $1 AND request_id = $2 AND service = $7
            AND (status IN ('pending', 'failed') OR (status = 'nothing_found' AND $3 = 'erased'))`,
        [
          tenantId,
          result.requestId,
          result.outcome,
          result.counts ? JSON.stringify(result.counts) : null,
          result.error ?? null,
          result.attempt ?? null,
          result.service,
        ],
      );
      const statuses: Array<{ status: string }> = await m.query(
        `SELECT status FROM erasure_service_status WHERE tenant_id = $1 AND request_id = $2`,
        [tenantId, result.requestId],
      );
      // Every service the request was made for (its rows, created with it) must be done. A request
      // made before a service joined the list has no row for it and does not wait for it.
      if (statuses.length === 0 || !statuses.every((s) => DONE.includes(s.status))) {
        return false;
      }
      const [, completed]: [unknown, number] = await m.query(
        `UPDATE erasure_requests SET status = 'completed', completed_at = now(), customer_ciphertext = NULL
          WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`,
        [tenantId, result.requestId],
      );
      return completed > 0;
    });
  }
}
