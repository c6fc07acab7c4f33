import { EntityManager } from 'typeorm';
import { TenantDb, TenantId } from './tenant-db';

/**
 * Repeats one bounded DELETE of a tenant's rows, each in its own short tenant transaction, until it
 * deletes fewer than `batchSize`; returns the rows deleted. The statement should pick its rows with
 * `LIMIT … FOR UPDATE SKIP LOCKED`, so replicas purging at once neither wait nor delete twice.
 */
export async function deleteInBatches(
  db: TenantDb,
  tenantId: TenantId,
  batchSize: number,
  statement: (m: EntityManager) => Promise<[unknown, number]>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const [, affected] = await db.forTenant(tenantId, statement);
    total += affected;
    if (affected < batchSize) {
      return total;
    }
  }
}
