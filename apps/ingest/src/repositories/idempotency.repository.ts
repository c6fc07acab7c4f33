import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';

export interface StoredResponse {
  requestHash: string;
  response: unknown;
}

/** Responses to sends made with an `Idempotency-Key`, per tenant. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: TenantDb) {}

  async find(tenantId: TenantId, key: string): Promise<StoredResponse | null> {
    const rows: Array<{ request_hash: string; response: unknown }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT request_hash, response FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [tenantId, key]),
    );
    return rows[0] ? { requestHash: rows[0].request_hash, response: rows[0].response } : null;
  }

  async save(tenantId: TenantId, key: string, requestHash: string, response: unknown): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, response) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, key) DO NOTHING`,
        [tenantId, key, requestHash, JSON.stringify(response)],
      ),
    );
  }
}
