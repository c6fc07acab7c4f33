import { Injectable } from '@nestjs/common';
import { offboardedTenantHash } from '@custody/contracts';
import { TenantDb } from '@custody/database';

/**
 * The tenants the export has offboarded, by `offboardedTenantHash` (never the id). Events of such
 * a tenant that arrive afterwards (consent changes, checkpoints, candidates, authorization and
 * credential states still on their topics) are dropped, so nothing of it comes back. One query per
 * consumed batch, not per event.
 */
@Injectable()
export class OffboardedTenants {
  /** Hashes known to be offboarded (a tenant id is never reused, so they stay true). */
  private readonly known = new Set<string>();

  constructor(private readonly db: TenantDb) {}

  /**
   * Records the tenant as offboarded: the owner writes the record, through a function only the
   * platform role may call (no tenant's transaction can add one).
   */
  async record(tenantId: string, offboardingId: string): Promise<void> {
    await this.db.forPlatform((m) => m.query(`SELECT record_offboarded_tenant($1, $2)`, [tenantId, offboardingId]));
    this.known.add(offboardedTenantHash(tenantId));
  }

  /** The events whose tenant is not offboarded. */
  async without<T extends { tenantId: string }>(events: T[]): Promise<T[]> {
    if (events.length === 0) {
      return events;
    }
    const hashes = new Map<string, string>();
    for (const e of events) {
      if (!hashes.has(e.tenantId)) {
        hashes.set(e.tenantId, offboardedTenantHash(e.tenantId));
      }
    }
    const unknown = [...hashes.values()].filter((h) => !this.known.has(h));
    if (unknown.length > 0) {
      const rows: Array<{ tenant_hash: string }> = await this.db.forPlatform((m) =>
        m.query(`SELECT tenant_hash FROM offboarded_tenants WHERE tenant_hash = ANY($1::text[])`, [unknown]),
      );
      rows.forEach((r) => this.known.add(r.tenant_hash));
    }
    return events.filter((e) => !this.known.has(hashes.get(e.tenantId)!));
  }
}
