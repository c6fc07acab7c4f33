import { HttpStatus, Injectable } from '@nestjs/common';
import { adsCredentialAad, MarketingAdsCredentialState, marketingAdsCredentialKey, Topics } from '@custody/contracts';
import { FieldCipher, SecretSealer } from '@custody/crypto';
import { asTenantId, enqueueOutboxBatch, TenantDb, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { DomainError, notFound } from '@custody/platform';
import { EntityManager } from 'typeorm';
import { AdsCredentialDto, AdsCredentialListDto } from '../dtos/marketing-authorization.dto';
import { AdsCredentialRepository, AdsCredentialRow } from '../repositories/ads-credential.repository';
import { AdsPlatformRepository, AdsPlatformSettings } from '../repositories/ads-platform.repository';
import { OutboxRow } from './marketing-candidates';

/** Where the token sits in the tenant's encrypted fields (one per ad account). */
export const adsTokenAad = (adAccountId: string) => ({
  messageId: `ads-credential:${adAccountId}`,
  field: 'access_token',
});
const tokenAad = adsTokenAad;

/**
 * A tenant's ads credentials: the access token it got from the ads platform for one of its own
 * ad accounts. Registering checks with the platform that the token acts for that account, stores
 * it encrypted under the tenant's data key and passes it on, sealed, to marketing-export (which
 * calls the destination with it). The token is never returned, logged or put in an error.
 * Authorizations use it to check that an audience or dataset belongs to the tenant's account.
 */
@Injectable()
export class AdsCredentialService {
  private readonly sealer: SecretSealer | null;

  constructor(
    private readonly db: TenantDb,
    private readonly credentials: AdsCredentialRepository,
    private readonly platform: AdsPlatformRepository,
    private readonly settings: AdsPlatformSettings,
    private readonly cipher: FieldCipher,
    private readonly outbox: OutboxService,
  ) {
    this.sealer = settings.credentialKey ? SecretSealer.fromBase64(settings.credentialKey) : null;
  }

  async register(tenant: string, adAccountId: string, accessToken: string): Promise<AdsCredentialDto> {
    const tenantId = asTenantId(tenant);
    const sealer = this.configured();
    const access = await this.platform.accountOf(accessToken, adAccountId);
    if (access.kind === 'unavailable') {
      throw adsPlatformUnavailable();
    }
    if (access.kind === 'refused' || access.accountId !== adAccountId) {
      throw new DomainError(
        HttpStatus.BAD_REQUEST,
        'ads_credential_rejected',
        `The ads platform does not accept this access token for ${adAccountId}`,
      );
    }
    const ciphertext = await this.cipher.encrypt(tenantId, accessToken, tokenAad(adAccountId));
    const row = await this.db.forTenant(tenantId, async (m) => {
      const saved = await this.credentials.upsert(m, tenantId, adAccountId, ciphertext);
      await enqueueOutboxBatch(m, [
        credentialEvent(tenantId, {
          adAccountId,
          status: 'active',
          sealedToken: sealer.seal(accessToken, adsCredentialAad(tenantId, adAccountId)),
          changedAt: saved.updated_at.toISOString(),
        }),
      ]);
      return saved;
    });
    this.outbox.wake();
    return mapCredential(row);
  }

  async list(tenant: string): Promise<AdsCredentialListDto> {
    const tenantId = asTenantId(tenant);
    const rows = await this.db.forTenant(tenantId, (m) => this.credentials.list(m, tenantId));
    return { data: rows.map(mapCredential) };
  }

  async remove(tenant: string, adAccountId: string): Promise<void> {
    const tenantId = asTenantId(tenant);
    const deleted = await this.db.forTenant(tenantId, (m) => this.deleteIn(m, tenantId, adAccountId));
    if (deleted.length === 0) {
      throw notFound('Ads credential');
    }
    this.outbox.wake();
  }

  /**
   * Deletes the tenant's credentials (one, or all) in the caller's transaction and tells
   * marketing-export to forget them (offboarding uses it for all).
   */
  async deleteIn(m: EntityManager, tenantId: TenantId, adAccountId?: string): Promise<string[]> {
    const deleted = await this.credentials.delete(m, tenantId, adAccountId);
    const changedAt = new Date().toISOString();
    await enqueueOutboxBatch(
      m,
      deleted.map((account) => credentialEvent(tenantId, { adAccountId: account, status: 'deleted', changedAt })),
    );
    return deleted;
  }

  /**
   * Checks that the tenant registered a credential for the ad account and that the platform shows
   * the audience or dataset as that account's (with the tenant's own token). A 4xx otherwise.
   */
  async checkOwnership(tenantId: TenantId, adAccountId: string, objectId: string): Promise<void> {
    this.configured();
    const row = await this.db.forTenant(tenantId, (m) => this.credentials.find(m, tenantId, adAccountId));
    if (!row) {
      throw new DomainError(
        HttpStatus.FORBIDDEN,
        'ads_credential_missing',
        `Register an access token for ${adAccountId} first (PUT /v1/marketing/ads-accounts/${adAccountId})`,
      );
    }
    const token = await this.cipher.decryptString(tenantId, row.token_ciphertext, tokenAad(adAccountId));
    const access = await this.platform.accountOf(token, objectId);
    if (access.kind === 'unavailable') {
      throw adsPlatformUnavailable();
    }
    if (access.kind === 'refused' || access.accountId !== adAccountId) {
      throw new DomainError(
        HttpStatus.FORBIDDEN,
        'destination_not_owned',
        `The ads platform does not show ${objectId} as an object of ${adAccountId} for the tenant's credential`,
      );
    }
  }

  private configured(): SecretSealer {
    if (!this.settings.url || !this.sealer) {
      throw new DomainError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'ads_platform_unconfigured',
        'No ads platform is configured for this deployment (ADS_API_URL, ADS_CREDENTIAL_KEY)',
      );
    }
    return this.sealer;
  }
}

function adsPlatformUnavailable(): DomainError {
  return new DomainError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'ads_platform_unavailable',
    'The ads platform did not answer; try again later',
  );
}

function credentialEvent(tenantId: TenantId, state: MarketingAdsCredentialState): OutboxRow {
  return {
    topic: Topics.MarketingAuthorized,
    key: marketingAdsCredentialKey(tenantId, state.adAccountId),
    payload: {
      eventId: `ads-credential:${state.adAccountId}:${state.status}:${state.changedAt}`,
      type: 'marketing.ads_credential',
      tenantId,
      occurredAt: state.changedAt,
      adsCredential: state,
    },
  };
}

function mapCredential(row: AdsCredentialRow): AdsCredentialDto {
  return {
    adAccountId: row.ad_account_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    verifiedAt: row.verified_at.toISOString(),
  };
}
