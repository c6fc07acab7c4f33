import { HttpStatus, Injectable } from '@nestjs/common';
import { CUSTODY_MARKING, MarketingAuthorizationState } from '@custody/contracts';
import { asTenantId, enqueueOutboxBatch, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { DomainError, notFound } from '@custody/platform';
import { EntityManager } from 'typeorm';
import {
  CreateMarketingAuthorizationDto,
  MarketingAuthorizationDto,
  MarketingAuthorizationListDto,
  MarketingAuthorizationTermsDto,
  MarketingAuthorizationVersionsDto,
  MarketingDestinationInputDto,
} from '../dtos/marketing-authorization.dto';
import {
  AuthorizationRow,
  AuthorizationTerms,
  destinationRef,
  MarketingAuthorizationRepository,
} from '../repositories/marketing-authorization.repository';
import { AdsCredentialService } from './ads-credential.service';
import { authorizationEvent } from './marketing-candidates';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A tenant's explicit, versioned instruction to use its own hosted chats for its own marketing,
 * per ads destination. Nothing is authorized by default. Every change is a new immutable version
 * (who, when, what) and is published as a `marketing.authorization` event through the outbox in
 * the same transaction; a change that changes nothing makes no version (retries are safe).
 */
@Injectable()
export class MarketingAuthorizationService {
  constructor(
    private readonly authorizations: MarketingAuthorizationRepository,
    private readonly outbox: OutboxService,
    private readonly adsCredentials: AdsCredentialService,
  ) {}

  /**
   * Creates version 1 of the authorization for a destination. Repeating the same request returns
   * the existing authorization (`created: false`); a different one for a destination that already
   * has an authorization is a conflict (change it with a new version instead).
   */
  async create(
    tenant: string,
    actor: string,
    dto: CreateMarketingAuthorizationDto,
  ): Promise<{ created: boolean; authorization: MarketingAuthorizationDto }> {
    const tenantId = asTenantId(tenant);
    const destination = checkDestination(dto.destination);
    const terms = checkTerms(dto, 'active');
    // Before anything is recorded: the destination must be the tenant's own (its registered token
    // for the ad account reaches the object at the ads platform).
    await this.adsCredentials.checkOwnership(tenantId, dto.destination.adAccountId, destination.objectId);
    const result = await this.authorizations.transaction(tenantId, async (m) => {
      const destinationId = await this.authorizations
        .lockDestination(m, tenantId, dto.destination.kind, dto.destination.adAccountId, destination.objectId)
        .catch((error: unknown) => {
          throw isDestinationTaken(error)
            ? new DomainError(
                HttpStatus.CONFLICT,
                'destination_taken',
                'This audience or dataset is already bound to another ad account or tenant in Custody',
              )
            : error;
        });
      const existing = await this.authorizations.findByDestination(m, tenantId, destinationId);
      if (existing) {
        if (sameTerms(existing, terms)) {
          return { created: false, row: existing };
        }
        throw new DomainError(
          HttpStatus.CONFLICT,
          'authorization_exists',
          `This destination already has authorization ${existing.id} (version ${existing.version}, ${existing.status}); change it with PUT /v1/marketing/authorizations/${existing.id}`,
        );
      }
      const id = await this.authorizations.create(m, tenantId, destinationId, terms, actor);
      return { created: true, row: await this.publish(m, tenantId, id) };
    });
    if (result.created) {
      this.outbox.wake();
    }
    return { created: result.created, authorization: mapAuthorization(result.row) };
  }

  /** Makes a new version with these terms (active again if it was withdrawn); the same terms make none. */
  async update(
    tenant: string,
    actor: string,
    id: string,
    dto: MarketingAuthorizationTermsDto,
  ): Promise<MarketingAuthorizationDto> {
    return this.change(tenant, actor, id, () => checkTerms(dto, 'active'));
  }

  /** Withdraws the authorization: a new version with status `withdrawn`; nothing more is published under it. */
  async withdraw(tenant: string, actor: string, id: string): Promise<MarketingAuthorizationDto> {
    return this.change(tenant, actor, id, (current) => ({
      status: 'withdrawn',
      dataUses: current.data_uses,
      scope: current.scope,
      label: current.label,
    }));
  }

  async list(tenant: string, status?: 'active' | 'withdrawn'): Promise<MarketingAuthorizationListDto> {
    const rows = await this.authorizations.list(asTenantId(tenant), status);
    return { data: rows.map(mapAuthorization) };
  }

  async get(tenant: string, id: string): Promise<MarketingAuthorizationDto> {
    const tenantId = asTenantId(tenant);
    const row = UUID.test(id)
      ? await this.authorizations.transaction(tenantId, (m) => this.authorizations.get(m, tenantId, id))
      : null;
    if (!row) {
      throw notFound('Marketing authorization');
    }
    return mapAuthorization(row);
  }

  async versions(tenant: string, id: string): Promise<MarketingAuthorizationVersionsDto> {
    const found = UUID.test(id) ? await this.authorizations.versions(asTenantId(tenant), id) : null;
    if (!found) {
      throw notFound('Marketing authorization');
    }
    return {
      authorizationId: found.authorization.id,
      destination: destinationRef(found.authorization),
      versions: found.versions.map((v) => ({
        version: v.version,
        status: v.status,
        dataUses: v.data_uses,
        scope: v.scope,
        label: v.label,
        actor: v.actor,
        createdAt: v.created_at.toISOString(),
      })),
    };
  }

  /**
   * Withdraws every active authorization of a tenant inside the caller's transaction (offboarding:
   * the export must stop before the tenant's data goes). Returns how many were withdrawn.
   */
  async withdrawAll(m: EntityManager, tenantId: TenantId, actor: string): Promise<number> {
    const active = await this.authorizations.activeForUpdate(m, tenantId);
    for (const row of active) {
      await this.authorizations.addVersion(
        m,
        tenantId,
        row.id,
        row.version + 1,
        { status: 'withdrawn', dataUses: row.data_uses, scope: row.scope, label: row.label },
        actor,
      );
      await this.publish(m, tenantId, row.id);
    }
    return active.length;
  }

  private async change(
    tenant: string,
    actor: string,
    id: string,
    next: (current: AuthorizationRow) => AuthorizationTerms,
  ): Promise<MarketingAuthorizationDto> {
    const tenantId = asTenantId(tenant);
    if (!UUID.test(id)) {
      throw notFound('Marketing authorization');
    }
    const result = await this.authorizations.transaction(tenantId, async (m) => {
      const current = await this.authorizations.findForUpdate(m, tenantId, id);
      if (!current) {
        throw notFound('Marketing authorization');
      }
      const terms = next(current);
      if (sameTerms(current, terms)) {
        return { changed: false, row: current };
      }
      await this.authorizations.addVersion(m, tenantId, id, current.version + 1, terms, actor);
      return { changed: true, row: await this.publish(m, tenantId, id) };
    });
    if (result.changed) {
      this.outbox.wake();
    }
    return mapAuthorization(result.row);
  }

  /** Enqueues the authorization's current state, in the transaction that made it. */
  private async publish(m: EntityManager, tenantId: TenantId, id: string): Promise<AuthorizationRow> {
    const row = (await this.authorizations.get(m, tenantId, id))!;
    await enqueueOutboxBatch(m, [authorizationEvent(tenantId, authorizationState(row), row.updated_at.toISOString())]);
    return row;
  }
}

export function authorizationState(row: AuthorizationRow): MarketingAuthorizationState {
  return {
    authorizationId: row.id,
    version: row.version,
    status: row.status,
    destination: destinationRef(row),
    dataUses: row.data_uses,
    scope: row.scope,
    ...(row.label !== null ? { label: row.label } : {}),
  };
}

export function mapAuthorization(row: AuthorizationRow): MarketingAuthorizationDto {
  return {
    id: row.id,
    version: row.version,
    status: row.status,
    destination: destinationRef(row),
    dataUses: row.data_uses,
    scope: row.scope,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    appliesTo: { ...CUSTODY_MARKING },
  };
}

/** Cross-field rules of a destination; the object id is the audience or the dataset, by kind. */
export function checkDestination(d: MarketingDestinationInputDto): { objectId: string } {
  const problems: string[] = [];
  const [wanted, other] =
    d.kind === 'customer_list_audience'
      ? (['audienceId', 'datasetId'] as const)
      : (['datasetId', 'audienceId'] as const);
  if (d[wanted] === undefined) {
    problems.push(`destination.${wanted} is required for kind ${d.kind}`);
  }
  if (d[other] !== undefined) {
    problems.push(`destination.${other} is not allowed for kind ${d.kind}`);
  }
  if (problems.length > 0) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', problems);
  }
  return { objectId: d[wanted]! };
}

/** Cross-field rules of the terms: a label goes with scope `label` and only with it. */
export function checkTerms(dto: MarketingAuthorizationTermsDto, status: 'active' | 'withdrawn'): AuthorizationTerms {
  if (dto.scope === 'label' && dto.label === undefined) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
      'label is required when scope is label',
    ]);
  }
  if (dto.scope !== 'label' && dto.label !== undefined) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
      `label is not allowed when scope is ${dto.scope}`,
    ]);
  }
  return { status, dataUses: [...dto.dataUses].sort(), scope: dto.scope, label: dto.label ?? null };
}

/** The unique index that binds an ads object to one tenant and ad account was hit. */
function isDestinationTaken(error: unknown): boolean {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' && driver.constraint === 'marketing_destinations_object';
}

function sameTerms(row: AuthorizationRow, terms: AuthorizationTerms): boolean {
  return (
    row.status === terms.status &&
    row.scope === terms.scope &&
    row.label === terms.label &&
    row.data_uses.length === terms.dataUses.length &&
    [...row.data_uses].sort().every((u, i) => u === [...terms.dataUses].sort()[i])
  );
}
