import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Topics, TenantChangedEvent } from '@custody/contracts';
import { enqueueOutbox, TenantDb, TenantId } from '@custody/database';
import { ClientCredentialEntity, PhoneNumberEntity, TenantEntity } from '../entities';

export interface NewTenant {
  id: TenantId;
  businessAccountId: string;
  displayName: string;
  webhookUrl: string | null;
  appSecret: string;
  messagesPerSecond: number;
  phoneNumbers: Array<{ phoneNumberId: string; displayPhoneNumber: string }>;
  credential: { clientId: string; secretHash: string; roles: ClientCredentialEntity['roles'] };
}

export class DuplicateError extends Error {
  constructor(readonly constraint: string) {
    super(`duplicate: ${constraint}`);
  }
}

/** Tenants, their phone numbers and credentials. Tenant-scoped methods take a TenantId. */
@Injectable()
export class TenantRepository {
  constructor(private readonly db: TenantDb) {}

  async create(t: NewTenant): Promise<TenantEntity> {
    try {
      return await this.db.forTenant(t.id, async (m) => {
        await m.insert(TenantEntity, {
          id: t.id,
          businessAccountId: t.businessAccountId,
          displayName: t.displayName,
          webhookUrl: t.webhookUrl,
          appSecret: t.appSecret,
          status: 'active',
          messagesPerSecond: t.messagesPerSecond,
        });
        await m.insert(
          PhoneNumberEntity,
          t.phoneNumbers.map((p) => ({ ...p, tenantId: t.id })),
        );
        await m.insert(ClientCredentialEntity, { ...t.credential, tenantId: t.id });
        const tenant = await this.load(m, t.id);
        await this.enqueueChanged(m, tenant!);
        return tenant!;
      });
    } catch (error) {
      const e = error as { code?: string; constraint?: string };
      if (e.code === '23505') {
        throw new DuplicateError(e.constraint ?? 'unique');
      }
      throw error;
    }
  }

  get(tenantId: TenantId): Promise<TenantEntity | null> {
    return this.db.forTenant(tenantId, (m) => this.load(m, tenantId));
  }

  /** Operator view: every tenant, ordered by id, after a cursor. */
  listAll(limit: number, afterId?: string): Promise<TenantEntity[]> {
    return this.db.forPlatform((m) => {
      const qb = m
        .createQueryBuilder(TenantEntity, 't')
        .leftJoinAndSelect('t.phoneNumbers', 'p')
        .orderBy('t.id', 'ASC')
        .take(limit);
      if (afterId) {
        qb.where('t.id > :afterId', { afterId });
      }
      return qb.getMany();
    });
  }

  setStatus(tenantId: TenantId, status: TenantEntity['status']): Promise<TenantEntity | null> {
    return this.update(tenantId, { status });
  }

  update(
    tenantId: TenantId,
    changes: Partial<Pick<TenantEntity, 'status' | 'retentionDays' | 'messagesPerSecond'>>,
  ): Promise<TenantEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const result = await m.update(TenantEntity, { id: tenantId }, changes);
      if (!result.affected) {
        return null;
      }
      const tenant = await this.load(m, tenantId);
      await this.enqueueChanged(m, tenant!);
      return tenant;
    });
  }

  addCredential(tenantId: TenantId, credential: NewTenant['credential']): Promise<void> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.insert(ClientCredentialEntity, { ...credential, tenantId });
    });
  }

  /** Auth path: the client is not yet known to belong to any tenant. */
  findCredential(clientId: string): Promise<(ClientCredentialEntity & { tenantStatus: string }) | null> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<{
        client_id: string;
        tenant_id: string;
        secret_hash: string;
        roles: string[];
        revoked_at: Date | null;
        status: string;
      }> = await m.query(
        `SELECT c.client_id, c.tenant_id, c.secret_hash, c.roles, c.revoked_at, t.status
             FROM client_credentials c JOIN tenants t ON t.id = c.tenant_id
            WHERE c.client_id = $1`,
        [clientId],
      );
      const row = rows[0];
      if (!row) {
        return null;
      }
      return Object.assign(new ClientCredentialEntity(), {
        clientId: row.client_id,
        tenantId: row.tenant_id,
        secretHash: row.secret_hash,
        roles: row.roles as ClientCredentialEntity['roles'],
        revokedAt: row.revoked_at,
        tenantStatus: row.status,
      });
    });
  }

  private async appSecretOf(m: EntityManager, tenantId: string): Promise<string> {
    const rows: Array<{ app_secret: string }> = await m.query(`SELECT app_secret FROM tenants WHERE id = $1`, [
      tenantId,
    ]);
    return rows[0].app_secret;
  }

  private load(m: EntityManager, tenantId: string): Promise<TenantEntity | null> {
    return m.findOne(TenantEntity, { where: { id: tenantId }, relations: { phoneNumbers: true } });
  }

  private async enqueueChanged(m: EntityManager, tenant: TenantEntity): Promise<void> {
    const event: TenantChangedEvent = {
      eventId: `tenant.changed:${tenant.id}:${tenant.updatedAt.getTime()}`,
      type: 'tenant.changed',
      tenantId: tenant.id,
      occurredAt: new Date().toISOString(),
      businessAccountId: tenant.businessAccountId,
      status: tenant.status,
      phoneNumbers: tenant.phoneNumbers.map((p) => ({
        phoneNumberId: p.phoneNumberId,
        displayPhoneNumber: p.displayPhoneNumber,
      })),
      webhookUrl: tenant.webhookUrl ?? undefined,
      webhookAppSecret: await this.appSecretOf(m, tenant.id),
      messagesPerSecond: tenant.messagesPerSecond,
    };
    await enqueueOutbox(m, Topics.TenantsChanged, tenant.id, event);
  }
}
