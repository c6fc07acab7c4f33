import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { tenantBindingFunctions } from './rls';

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
 * Runs work in a transaction scoped by row-level security. Tenant tables have forced RLS policies
 * that admit the application role to the rows of the tenant its transaction is bound to
 * (`<schema>.custody_enter_tenant`, see rls.ts), and to nothing before that; the role does not own
 * the tables, so a query that forgets its tenant sees nothing rather than everything, and no
 * setting it can change widens its view. Cross-tenant work runs on a second pool
 * (`platformDataSource`) that logs in as the platform role, the only login the policies admit to
 * every row.
 */
@Injectable()
export class TenantDb {
  private readonly enterTenant: string;

  constructor(
    readonly dataSource: DataSource,
    readonly platformDataSource: DataSource,
  ) {
    const schema = (dataSource.options as { schema?: string }).schema;
    if (!schema || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error('TenantDb needs a DataSource with its service schema');
    }
    this.enterTenant = tenantBindingFunctions(schema).enter;
  }

  /**
   * Work for one tenant: RLS admits only that tenant's rows. The transaction opens and binds its
   * tenant in one round trip (`BEGIN; SELECT <schema>.custody_enter_tenant(…)` as one simple
   * query; the tenant id is checked to be a UUID right here, so it is safe as a literal), which on
   * the message path saves a round trip per batch in every service.
   */
  forTenant<T>(tenantId: TenantId, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!UUID.test(tenantId)) {
      return Promise.reject(new Error('tenant id must be a UUID'));
    }
    return this.inTransaction(`BEGIN; SELECT ${this.enterTenant}('${tenantId.toLowerCase()}')`, work);
  }

  /**
   * `work` inside the caller's transaction for this tenant when it passes one (`within`), else in
   * a tenant transaction of its own: lets a request do several lookups in one BEGIN/COMMIT.
   */
  withinTenant<T>(
    tenantId: TenantId,
    within: EntityManager | undefined,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return within ? work(within) : this.forTenant(tenantId, work);
  }

  /**
   * Platform work that must see across tenants (an operator listing tenants, looking up the
   * credential a client presents before its tenant is known). Only explicit operator and auth
   * paths call this.
   */
  forPlatform<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.inTransaction('BEGIN', work, this.platformDataSource);
  }

  /**
   * A transaction on one pooled connection, opened by `begin`; committed when `work` resolves and
   * rolled back when it throws. (A connection that breaks meanwhile is dropped from the pool by
   * TypeORM's own error handler, not reused.)
   */
  private async inTransaction<T>(
    begin: string,
    work: (manager: EntityManager) => Promise<T>,
    dataSource: DataSource = this.dataSource,
  ): Promise<T> {
    const runner = dataSource.createQueryRunner();
    try {
      let result: T;
      try {
        await runner.query(begin);
        result = await work(runner.manager);
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await runner.query('COMMIT');
      return result;
    } finally {
      await runner.release();
    }
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
    if (this.platformDataSource !== this.dataSource) {
      await this.platformDataSource.query('SELECT 1');
    }
  }
}
