import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConversationKeyring, CustomerIndexKeys, TenantKeyring } from '@custody/crypto';
import { asTenantId, enqueueOutboxBatch, TenantDb, TenantId } from '@custody/database';
import {
  OFFBOARDING_SERVICES,
  offboardedTenantHash,
  OffboardingRequestedEvent,
  OffboardingResultEvent,
  Topics,
} from '@custody/contracts';
import { countTenantRows, DomainError, notFound, tenantTables } from '@custody/platform';
import { TenantRepository } from '../repositories/tenant.repository';
import { OutboxService } from '@custody/kafka';
import { OffboardingRepository, OffboardingWithServices } from '../repositories/offboarding.repository';
import { MarketingAuthorizationService } from './marketing-authorization.service';
import type { OffboardingDto } from '../dtos/tenant.dto';

export interface OffboardReport {
  tenantId: string;
  messages: number;
  statuses: number;
  conversations: number;
  marketingAuthorizations: number;
  dataKeysDestroyed: boolean;
  offboarding: OffboardingDto;
}

const BATCH = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Offboards a tenant. tenant-store's part: suspend (no new tokens), withdraw its marketing
 * authorizations (the export stops; published through the outbox), delete its hosted data in
 * bounded batches, destroy and purge its data keys, then — in one transaction — delete every
 * other row of it (the tenant row, whose foreign keys cascade to the rest; every table of the
 * schema with a `tenant_id` is counted), record the offboarding with tenant-store's report, and
 * publish the `deleted` tenant event and the offboarding request. ingest, consent and
 * marketing-export remove what they hold and report on `offboarding.results`; the offboarding
 * completes when all have (`GET /v1/tenants/{id}/offboarding`). Export first
 * (`GET /v1/tenants/{id}/export`).
 *
 * The keys go before the tenant row: until that row is deleted the offboarding can be run again
 * (after a crash) and finishes what is left, and from the keys' destruction on nothing of the
 * tenant that might remain anywhere (a backup, a replica, a Kafka segment) decrypts.
 */
@Injectable()
export class OffboardingService {
  private readonly logger = new Logger(OffboardingService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly tenants: TenantRepository,
    private readonly keyring: TenantKeyring,
    private readonly indexKeys: CustomerIndexKeys,
    private readonly outbox: OutboxService,
    private readonly marketing: MarketingAuthorizationService,
    private readonly offboardings: OffboardingRepository,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  async offboard(id: string, confirmBusinessAccountId: string, actor: string): Promise<OffboardReport> {
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
    const tenantId = asTenantId(tenant.id);
    await this.tenants.setStatus(tenantId, 'suspended');
    // The export stops taking the tenant's candidates. Its ads credentials stay with
    // marketing-export until it has removed the tenant's audience members with them.
    const marketingAuthorizations = await this.db.forTenant(tenantId, (m) =>
      this.marketing.withdrawAll(m, tenantId, 'system:offboarding'),
    );
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
    // From here on, nothing of the tenant that might remain anywhere decrypts: its conversation
    // keys (wrapped under its data keys) go first, then the data keys themselves.
    const conversationKeys = await this.conversationKeys.purge(tenantId);
    await this.keyring.destroy(tenantId);
    const dataKeys = await this.keyring.purge(tenantId);
    const indexKeys = await this.indexKeys.purge(tenantId);

    const offboardingId = randomUUID();
    const occurredAt = new Date().toISOString();
    const rest = await this.db.forTenant(tenantId, async (m) => {
      const counts = await countTenantRows(m, tenantId, await tenantTables(m));
      await m.query(`DELETE FROM tenants WHERE id = $1`, [tenantId]);
      const left = await countTenantRows(m, tenantId, await tenantTables(m));
      if (Object.keys(left).length > 0) {
        // A table without a cascading foreign key to tenants: a schema change forgot it.
        throw new Error(`offboarding left rows of the tenant in ${Object.keys(left).join(', ')}`);
      }
      await this.offboardings.insert(m, { id: offboardingId, tenantId, requestedBy: actor });
      const request: OffboardingRequestedEvent = {
        eventId: offboardingId,
        type: 'offboarding.requested',
        tenantId,
        occurredAt,
        offboardingId,
      };
      await enqueueOutboxBatch(m, [
        {
          topic: Topics.TenantsChanged,
          key: tenantId,
          payload: {
            eventId: `tenant.deleted:${tenantId}`,
            type: 'tenant.changed',
            tenantId,
            occurredAt,
            businessAccountId: tenant.businessAccountId,
            status: 'suspended',
            phoneNumbers: [],
            deleted: true,
          },
        },
        { topic: Topics.OffboardingRequests, key: tenantId, payload: request },
      ]);
      return counts;
    });
    // tenant-store's own report, recorded like the others' (it has nothing left to do).
    const tables: Record<string, number> = { ...rest, tenants: 1 };
    for (const [name, n] of [
      ['messages', messages],
      ['message_statuses', statuses],
      ['conversations', conversations],
      ['data_keys', dataKeys],
      ['customer_index_keys', indexKeys],
      ['conversation_keys', conversationKeys],
    ] as const) {
      if (n > 0) {
        tables[name] = (tables[name] ?? 0) + n;
      }
    }
    const own: OffboardingResultEvent = {
      eventId: `${offboardingId}:tenant-store`,
      type: 'offboarding.completed',
      tenantId,
      occurredAt,
      offboardingId,
      service: 'tenant-store',
      outcome: 'removed',
      tables,
    };
    await this.offboardings.applyResult(own);
    this.outbox.wake();
    this.logger.log({ msg: 'tenant offboarded', tenantId, offboardingId, tables });
    return {
      tenantId,
      messages,
      statuses,
      conversations,
      marketingAuthorizations,
      dataKeysDestroyed: true,
      offboarding: await this.status(tenantId),
    };
  }

  /** The tenant's latest offboarding, found by its id (the records keep only its hash). */
  async status(id: string): Promise<OffboardingDto> {
    const found = UUID.test(id) ? await this.offboardings.latest(offboardedTenantHash(id)) : null;
    if (!found) {
      throw notFound('Offboarding');
    }
    return mapOffboarding(found);
  }

  /** One service's report (consumed from `offboarding.results`). */
  async applyResult(result: OffboardingResultEvent): Promise<void> {
    if (await this.offboardings.applyResult(result)) {
      this.logger.log({ msg: 'offboarding completed', offboardingId: result.offboardingId });
    }
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

export function mapOffboarding({ offboarding, services }: OffboardingWithServices): OffboardingDto {
  const order: readonly string[] = OFFBOARDING_SERVICES;
  return {
    id: offboarding.id,
    status: offboarding.status,
    services: [...services]
      .sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service))
      .map((s) => ({
        service: s.service,
        status: s.status,
        tables: s.tables,
        effects: s.effects,
        logHead: s.log_head,
        error: s.error,
        updatedAt: s.updated_at.toISOString(),
      })),
    dataKeysDestroyed: true,
    createdAt: offboarding.created_at.toISOString(),
    completedAt: offboarding.completed_at?.toISOString() ?? null,
  };
}
