import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { TenantKeyring } from '@custody/crypto';
import { asTenantId, enqueueOutboxBatch, TenantDb, TenantId } from '@custody/database';
import { Topics } from '@custody/contracts';
import { DomainError, notFound } from '@custody/platform';
import { TenantRepository } from '../repositories/tenant.repository';
import { OutboxService } from '@custody/kafka';
import { MarketingAuthorizationRepository } from '../repositories/marketing-authorization.repository';
import { AdsCredentialService } from './ads-credential.service';
import { MarketingAuthorizationService } from './marketing-authorization.service';

export interface OffboardReport {
  tenantId: string;
  messages: number;
  statuses: number;
  conversations: number;
  marketingAuthorizations: number;
  dataKeysDestroyed: boolean;
}

const BATCH = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Removes a tenant from tenant-store: suspend (no new tokens), delete its hosted data in bounded
 * batches, then its credentials, numbers and record (ingest is told through the outbox), and the
 * data keys last. Its marketing authorizations are withdrawn first (the export is told through the
 * outbox and stops), so no message stored meanwhile becomes a candidate; they are deleted with
 * the tenant. The data keys go last — so anything missed (a backup, a replica) is left undecryptable. Export first
 * (`GET /v1/tenants/{id}/export`).
 */
@Injectable()
export class OffboardingService {
  private readonly logger = new Logger(OffboardingService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly tenants: TenantRepository,
    private readonly keyring: TenantKeyring,
    private readonly outbox: OutboxService,
    private readonly marketing: MarketingAuthorizationService,
    private readonly marketingRows: MarketingAuthorizationRepository,
    private readonly adsCredentials: AdsCredentialService,
  ) {}

  async offboard(id: string, confirmBusinessAccountId: string): Promise<OffboardReport> {
    const tenant = UUID.test(id) ? await this.tenants.get(asTenantId(id)) : null;
    if (!tenant) {
      throw notFound('Tenant');
    }
    if (tenant.businessAccountId !== confirmBusinessAccountId) {
      throw new DomainError(
        HttpStatus.BAD_REQUEST,
        'confirmation_mismatch',
        'confirmBusinessAccountId must equal the tenant’s business account id',
      );
    }
    const tenantId = asTenantId(id);
    await this.tenants.setStatus(tenantId, 'suspended');
    const marketingAuthorizations = await this.db.forTenant(tenantId, async (m) => {
      const withdrawn = await this.marketing.withdrawAll(m, tenantId, 'system:offboarding');
      // marketing-export forgets the tenant's ads tokens too.
      await this.adsCredentials.deleteIn(m, tenantId);
      return withdrawn;
    });
    this.outbox.wake();
    const messages = await this.batches(
      tenantId,
      `DELETE FROM messages WHERE message_id IN (SELECT message_id FROM messages WHERE tenant_id = $1 LIMIT ${BATCH})`,
    );
    const statuses = await this.batches(
      tenantId,
      `DELETE FROM message_statuses WHERE ctid IN (SELECT ctid FROM message_statuses WHERE tenant_id = $1 LIMIT ${BATCH})`,
    );
    const conversations = await this.batches(
      tenantId,
      `DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE tenant_id = $1 LIMIT ${BATCH})`,
    );
    await this.db.forTenant(tenantId, async (m) => {
      await this.marketingRows.deleteAll(m, tenantId);
      await m.query(`DELETE FROM client_credentials WHERE tenant_id = $1`, [tenantId]);
      await m.query(`DELETE FROM phone_numbers WHERE tenant_id = $1`, [tenantId]);
      await m.query(`DELETE FROM tenants WHERE id = $1`, [tenantId]);
      await enqueueOutboxBatch(m, [
        {
          topic: Topics.TenantsChanged,
          key: tenantId,
          payload: {
            eventId: `tenant.deleted:${tenantId}`,
            type: 'tenant.changed',
            tenantId,
            occurredAt: new Date().toISOString(),
            businessAccountId: tenant.businessAccountId,
            status: 'suspended',
            phoneNumbers: [],
            deleted: true,
          },
        },
      ]);
    });
    this.outbox.wake();
    // Data keys last: from here on, nothing of the tenant that might remain anywhere decrypts.
    await this.keyring.destroy(tenantId);
    await this.keyring.purge(tenantId);
    this.logger.log({ msg: 'tenant offboarded', tenantId, messages, statuses, conversations, marketingAuthorizations });
    return { tenantId, messages, statuses, conversations, marketingAuthorizations, dataKeysDestroyed: true };
  }

  private async batches(tenantId: TenantId, sql: string): Promise<number> {
    let total = 0;
    for (;;) {
      const [, affected]: [unknown, number] = await this.db.forTenant(tenantId, (m) => m.query(sql, [tenantId]));
      total += affected;
      if (affected < BATCH) {
        return total;
      }
    }
  }
}
