import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Topics, TenantChangedEvent } from '@custody/contracts';
import { DataKeyRecord, distributeCustomerIndexKey, distributeDataKeys, isEnvelope } from '@custody/crypto';
import { asTenantId, enqueueOutbox, TenantDb, TenantId } from '@custody/database';
import { ClientCredentialEntity, PhoneNumberEntity, TenantEntity } from '../entities';

export interface NewTenant {
  id: TenantId;
  businessAccountId: string;
  displayName: string;
  webhookUrl: string | null;
  /** The app secret sealed under the tenant's data key. */
  appSecretCiphertext: string;
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
          appSecretCiphertext: t.appSecretCiphertext,
          keysDistributed: true,
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

  /**
   * Publishes the tenant's current facts again with its current keys (after a rotation, a
   * destroyed version or a rewrap): one outbox row. False when the tenant does not exist.
   */
  republish(tenantId: TenantId): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      const tenant = await this.load(m, tenantId);
      if (!tenant) {
        return false;
      }
      await this.enqueueChanged(m, tenant);
      return true;
    });
  }

  /** Tenants whose sealed secret and keys were not published yet (created before they were), a batch. */
  undistributed(limit: number): Promise<TenantId[]> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<{ id: string }> = await m.query(
        `SELECT id FROM tenants WHERE NOT keys_distributed ORDER BY id LIMIT $1`,
        [limit],
      );
      return rows.map((r) => asTenantId(r.id));
    });
  }

  /** Tenants without a customer index key (created before there were any), a batch. */
  withoutIndexKey(limit: number): Promise<TenantId[]> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<{ id: string }> = await m.query(
        `SELECT t.id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM customer_index_keys k WHERE k.tenant_id = t.id)
          ORDER BY t.id LIMIT $1`,
        [limit],
      );
      return rows.map((r) => asTenantId(r.id));
    });
  }

  /** Every tenant id after a cursor, a batch (platform scope: master key rewrap republishes all). */
  async idsAfter(afterId: string | null, limit: number): Promise<TenantId[]> {
    const rows: Array<{ id: string }> = await this.db.forPlatform((m) =>
      m.query(`SELECT id FROM tenants WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`, [afterId, limit]),
    );
    return rows.map((r) => asTenantId(r.id));
  }

  appSecretCiphertext(tenantId: TenantId): Promise<string | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ s: string }> = await m.query(`SELECT app_secret_ciphertext AS s FROM tenants WHERE id = $1`, [
        tenantId,
      ]);
      return rows[0]?.s ?? null;
    });
  }

  /**
   * Marks the tenant distributed, sealing its app secret if it was still in clear (compare-and-set
   * on the value read, so racing replicas seal it once), and publishes it. False if it changed meanwhile.
   */
  markDistributed(tenantId: TenantId, previousSecret: string, sealedSecret: string): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      const [, affected]: [unknown, number] = await m.query(
        `UPDATE tenants SET app_secret_ciphertext = $3, keys_distributed = true WHERE id = $1 AND app_secret_ciphertext = $2`,
        [tenantId, previousSecret, sealedSecret],
      );
      if (affected === 0) {
        return false;
      }
      await this.enqueueChanged(m, (await this.load(m, tenantId))!);
      return true;
    });
  }

  private async distributed(
    m: EntityManager,
    tenantId: string,
  ): Promise<Pick<TenantChangedEvent, 'webhookAppSecretCiphertext' | 'dataKeys' | 'customerIndexKey'>> {
    const secrets: Array<{ s: string }> = await m.query(
      `SELECT app_secret_ciphertext AS s FROM tenants WHERE id = $1`,
      [tenantId],
    );
    const keys: Array<{
      version: number;
      master_key_id: string;
      wrapped_key: Buffer | null;
      created_at: Date;
      retired_at: Date | null;
      destroyed_at: Date | null;
    }> = await m.query(
      `SELECT version, master_key_id, wrapped_key, created_at, retired_at, destroyed_at FROM data_keys WHERE tenant_id = $1 ORDER BY version`,
      [tenantId],
    );
    const index: Array<{
      master_key_id: string;
      wrapped_key: Buffer | null;
      created_at: Date;
      destroyed_at: Date | null;
    }> = await m.query(
      `SELECT master_key_id, wrapped_key, created_at, destroyed_at FROM customer_index_keys WHERE tenant_id = $1`,
      [tenantId],
    );
    const records: DataKeyRecord[] = keys.map((k) => ({
      tenantId: asTenantId(tenantId),
      version: Number(k.version),
      masterKeyId: k.master_key_id,
      wrappedKey: k.wrapped_key,
      createdAt: k.created_at,
      retiredAt: k.retired_at,
      destroyedAt: k.destroyed_at,
    }));
    // Only ever a sealed secret: one still in clear (a tenant from before sealing that this replica
    // has not sealed yet) is left out, and the receivers keep what they hold.
    const secret = secrets[0]?.s;
    return {
      ...(secret && isEnvelope(secret) ? { webhookAppSecretCiphertext: secret } : {}),
      dataKeys: distributeDataKeys(records),
      ...(index[0]
        ? {
            customerIndexKey: distributeCustomerIndexKey({
              tenantId: asTenantId(tenantId),
              masterKeyId: index[0].master_key_id,
              wrappedKey: index[0].wrapped_key,
              createdAt: index[0].created_at,
              destroyedAt: index[0].destroyed_at,
            }),
          }
        : {}),
    };
  }

  private load(m: EntityManager, tenantId: string): Promise<TenantEntity | null> {
    return m.findOne(TenantEntity, { where: { id: tenantId }, relations: { phoneNumbers: true } });
  }

  private async enqueueChanged(m: EntityManager, tenant: TenantEntity): Promise<void> {
    const event: TenantChangedEvent = {
      eventId: `tenant.changed:${tenant.id}:${tenant.updatedAt.getTime()}:${randomUUID().slice(0, 8)}`,
      type: 'tenant.changed',
      tenantId: tenant.id,
      occurredAt: new Date().toISOString(),
      businessAccountId: tenant.businessAccountId,
      displayName: tenant.displayName,
      status: tenant.status,
      phoneNumbers: tenant.phoneNumbers.map((p) => ({
        phoneNumberId: p.phoneNumberId,
        displayPhoneNumber: p.displayPhoneNumber,
      })),
      webhookUrl: tenant.webhookUrl ?? undefined,
      ...(await this.distributed(m, tenant.id)),
      messagesPerSecond: tenant.messagesPerSecond,
      retentionDays: tenant.retentionDays,
    };
    await enqueueOutbox(m, Topics.TenantsChanged, tenant.id, event);
  }
}
