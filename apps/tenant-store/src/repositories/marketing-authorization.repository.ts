import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ConversationScope, DestinationKind, MarketingDestinationRef } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';
import type { ActiveAuthorization } from '../services/marketing-candidates';

export interface AuthorizationRow {
  id: string;
  destination_id: string;
  kind: DestinationKind;
  ad_account_id: string;
  object_id: string;
  version: number;
  status: 'active' | 'withdrawn';
  data_uses: string[];
  scope: ConversationScope;
  label: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AuthorizationVersionRow {
  version: number;
  status: 'active' | 'withdrawn';
  data_uses: string[];
  scope: ConversationScope;
  label: string | null;
  actor: string;
  created_at: Date;
}

/** What a new version of an authorization says. */
export interface AuthorizationTerms {
  status: 'active' | 'withdrawn';
  dataUses: string[];
  scope: ConversationScope;
  label: string | null;
}

export function destinationRef(
  row: Pick<AuthorizationRow, 'destination_id' | 'kind' | 'ad_account_id' | 'object_id'>,
): MarketingDestinationRef {
  return {
    destinationId: row.destination_id,
    kind: row.kind,
    adAccountId: row.ad_account_id,
    ...(row.kind === 'customer_list_audience' ? { audienceId: row.object_id } : { datasetId: row.object_id }),
  };
}

/**
 * A tenant's ads destinations and marketing authorizations: the current state of each
 * authorization beside the append-only log of its versions. Every method takes the tenant.
 */
@Injectable()
export class MarketingAuthorizationRepository {
  constructor(private readonly db: TenantDb) {}

  transaction<T>(tenantId: TenantId, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.forTenant(tenantId, work);
  }

  /**
   * Authorizations of the tenant with their destination. `rest` continues the WHERE clause after
   * the tenant condition (and may order or lock); its parameters start at `$2`.
   */
  private select(m: EntityManager, tenantId: TenantId, rest: string, params: unknown[]): Promise<AuthorizationRow[]> {
    return m.query(
      `SELECT a.id, a.destination_id, d.kind, d.ad_account_id, d.object_id, a.version, a.status, a.data_uses, a.scope,
              a.label, a.created_at, a.updated_at
         FROM marketing_authorizations a JOIN marketing_destinations d ON d.id = a.destination_id
        WHERE a.tenant_id = $1 AND ${rest}`,
      [tenantId, ...params],
    );
  }

  /**
   * The tenant's active authorizations, for the message path. The rows are share-locked until the
   * caller's transaction ends, so a change of an authorization waits for message batches that
   * already read it: every candidate of version N is in the outbox before version N+1's event.
   */
  async activeForMessages(m: EntityManager, tenantId: TenantId): Promise<ActiveAuthorization[]> {
    const rows = await this.select(m, tenantId, `a.status = 'active' ORDER BY a.id FOR SHARE OF a`, []);
    return rows.map((r) => ({
      authorizationId: r.id,
      version: r.version,
      destination: destinationRef(r),
      dataUses: r.data_uses,
      scope: r.scope,
      label: r.label,
    }));
  }

  /** The destination's id, created on first use; the row is locked so one authorization is made per destination. */
  async lockDestination(
    m: EntityManager,
    tenantId: TenantId,
    kind: DestinationKind,
    adAccountId: string,
    objectId: string,
  ): Promise<string> {
    await m.query(
      `INSERT INTO marketing_destinations (id, tenant_id, kind, ad_account_id, object_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, kind, ad_account_id, object_id) DO NOTHING`,
      [randomUUID(), tenantId, kind, adAccountId, objectId],
    );
    const rows: Array<{ id: string }> = await m.query(
      `SELECT id FROM marketing_destinations WHERE tenant_id = $1 AND kind = $2 AND ad_account_id = $3 AND object_id = $4 FOR UPDATE`,
      [tenantId, kind, adAccountId, objectId],
    );
    return rows[0].id;
  }

  async findByDestination(
    m: EntityManager,
    tenantId: TenantId,
    destinationId: string,
  ): Promise<AuthorizationRow | null> {
    const rows = await this.select(m, tenantId, 'a.destination_id = $2 FOR UPDATE OF a', [destinationId]);
    return rows[0] ?? null;
  }

  /** One authorization, locked until the caller's transaction ends (versions are made one at a time). */
  async findForUpdate(m: EntityManager, tenantId: TenantId, id: string): Promise<AuthorizationRow | null> {
    const rows = await this.select(m, tenantId, 'a.id = $2 FOR UPDATE OF a', [id]);
    return rows[0] ?? null;
  }

  /** Creates version 1 of an authorization for a destination. */
  async create(
    m: EntityManager,
    tenantId: TenantId,
    destinationId: string,
    terms: AuthorizationTerms,
    actor: string,
  ): Promise<string> {
    const id = randomUUID();
    await m.query(
      `INSERT INTO marketing_authorizations (id, tenant_id, destination_id, version, status, data_uses, scope, label)
       VALUES ($1, $2, $3, 1, $4, $5, $6, $7)`,
      [id, tenantId, destinationId, terms.status, terms.dataUses, terms.scope, terms.label],
    );
    await this.insertVersion(m, tenantId, id, 1, terms, actor);
    return id;
  }

  /** Records the next version of an authorization and makes it the current state. */
  async addVersion(
    m: EntityManager,
    tenantId: TenantId,
    id: string,
    version: number,
    terms: AuthorizationTerms,
    actor: string,
  ): Promise<void> {
    await m.query(
      `UPDATE marketing_authorizations SET version = $3, status = $4, data_uses = $5, scope = $6, label = $7, updated_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, version, terms.status, terms.dataUses, terms.scope, terms.label],
    );
    await this.insertVersion(m, tenantId, id, version, terms, actor);
  }

  private async insertVersion(
    m: EntityManager,
    tenantId: TenantId,
    id: string,
    version: number,
    terms: AuthorizationTerms,
    actor: string,
  ): Promise<void> {
    await m.query(
      `INSERT INTO marketing_authorization_versions (authorization_id, version, tenant_id, status, data_uses, scope, label, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, version, tenantId, terms.status, terms.dataUses, terms.scope, terms.label, actor],
    );
  }

  async get(m: EntityManager, tenantId: TenantId, id: string): Promise<AuthorizationRow | null> {
    const rows = await this.select(m, tenantId, 'a.id = $2', [id]);
    return rows[0] ?? null;
  }

  list(tenantId: TenantId, status: 'active' | 'withdrawn' | undefined): Promise<AuthorizationRow[]> {
    return this.db.forTenant(tenantId, (m) =>
      this.select(m, tenantId, '($2::text IS NULL OR a.status = $2) ORDER BY a.created_at, a.id', [status ?? null]),
    );
  }

  /** The whole log of an authorization, oldest first; null when it is not the tenant's. */
  versions(
    tenantId: TenantId,
    id: string,
  ): Promise<{ authorization: AuthorizationRow; versions: AuthorizationVersionRow[] } | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const authorization = await this.get(m, tenantId, id);
      if (!authorization) {
        return null;
      }
      const versions: AuthorizationVersionRow[] = await m.query(
        `SELECT version, status, data_uses, scope, label, actor, created_at FROM marketing_authorization_versions
          WHERE tenant_id = $1 AND authorization_id = $2 ORDER BY version`,
        [tenantId, id],
      );
      return { authorization, versions };
    });
  }

  /** The tenant's active authorizations, locked (offboarding withdraws them all). */
  activeForUpdate(m: EntityManager, tenantId: TenantId): Promise<AuthorizationRow[]> {
    return this.select(m, tenantId, `a.status = 'active' ORDER BY a.id FOR UPDATE OF a`, []);
  }

  /** Deletes everything marketing of a tenant (offboarding); returns how many authorizations went. */
  async deleteAll(m: EntityManager, tenantId: TenantId): Promise<number> {
    await m.query(`DELETE FROM marketing_authorization_versions WHERE tenant_id = $1`, [tenantId]);
    const [, authorizations]: [unknown, number] = await m.query(
      `DELETE FROM marketing_authorizations WHERE tenant_id = $1`,
      [tenantId],
    );
    await m.query(`DELETE FROM marketing_destinations WHERE tenant_id = $1`, [tenantId]);
    return authorizations;
  }
}
