import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { TenantDb, TenantId } from '@custody/database';

const CACHE_LIMIT = 10_000;

/**
 * Customer pseudonyms: HMAC-SHA256 of the customer's WhatsApp id under a per-tenant key that
 * lives here, outside the log. The log only ever sees the pseudonym; destroying a tenant's key
 * (erasure) leaves every log hash intact while nobody can link a phone number to it any more.
 */
@Injectable()
export class PseudonymRepository {
  private readonly keys = new Map<TenantId, Buffer>();

  constructor(private readonly db: TenantDb) {}

  async subjectFor(tenantId: TenantId, waId: string): Promise<string> {
    const key = await this.keyFor(tenantId);
    return createHmac('sha256', key).update(waId, 'utf8').digest('hex');
  }

  private async keyFor(tenantId: TenantId): Promise<Buffer> {
    const cached = this.keys.get(tenantId);
    if (cached) {
      return cached;
    }
    const key = await this.db.forTenant(tenantId, async (m) => {
      await m.query(`INSERT INTO pseudonym_keys (tenant_id, key) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, [
        tenantId,
        randomBytes(32),
      ]);
      const rows: Array<{ key: Buffer }> = await m.query(`SELECT key FROM pseudonym_keys WHERE tenant_id = $1`, [tenantId]);
      return rows[0].key;
    });
    if (this.keys.size >= CACHE_LIMIT) {
      this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(tenantId, key);
    return key;
  }
}
