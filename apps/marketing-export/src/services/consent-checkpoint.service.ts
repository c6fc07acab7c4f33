import { Injectable } from '@nestjs/common';
import { ConsentCheckpointEvent } from '@custody/contracts';
import { asTenantId, TenantId } from '@custody/database';
import { ConsentCheckpointRepository, KnownCheckpoint } from '../repositories/consent-checkpoint.repository';

/** Keeps the consent log's checkpoints (`consent.checkpoints`) the ledger cites; a replay is a no-op. */
@Injectable()
export class ConsentCheckpointService {
  constructor(private readonly checkpoints: ConsentCheckpointRepository) {}

  async handle(events: ConsentCheckpointEvent[]): Promise<void> {
    const byTenant = new Map<TenantId, KnownCheckpoint[]>();
    for (const e of events) {
      const tenantId = asTenantId(e.tenantId);
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), { treeSize: e.treeSize, rootHash: e.rootHash }]);
    }
    for (const [tenantId, checkpoints] of byTenant) {
      await this.checkpoints.save(tenantId, checkpoints);
    }
  }
}
