import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A tenant id, checked once: every tenant-scoped repository method takes one. */
export type TenantId = string & { readonly __brand: 'TenantId' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function asTenantId(value: string): TenantId {
  if (!UUID.test(value)) {
    throw new Error('tenant id must be a UUID');
  }
  return value.toLowerCase() as TenantId;
}

/**
 * Runs work in a transaction scoped by row-level security. Tenant tables have forced RLS
 * policies keyed on `custody.tenant_id`; the application role does not own them, so a query
 * that forgets its tenant sees nothing rather than everything.
 */
@Injectable()
export class TenantDb {
  constructor(readonly dataSource: DataSource) {}

  /** Work for one tenant: RLS admits only that tenant's rows. */
  forTenant<T>(tenantId: TenantId, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('custody.tenant_id', $1, true)`, [tenantId]);
      return work(manager);
    });
  }

  /**
   * Platform work that must see across tenants (an operator listing tenants, looking up the
   * credential a client presents before its tenant is known). Only explicit operator and auth
   * paths call this.
   */
  forPlatform<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('custody.platform', 'on', true)`);
      return work(manager);
    });
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
