import { Injectable, Logger } from '@nestjs/common';
import { adsCredentialAad, MarketingAdsCredentialState } from '@custody/contracts';
import { SecretSealer } from '@custody/crypto';
import { TenantDb, TenantId } from '@custody/database';
import { ExportSettings } from '../config/export.settings';

/**
 * The tenants' ads credentials (from tenant-store's `marketing.ads_credential` events): kept
 * sealed, opened only for the call to the destination. The newest change wins.
 */
@Injectable()
export class AdsCredentialRepository {
  private readonly logger = new Logger(AdsCredentialRepository.name);
  private readonly sealer: SecretSealer;

  constructor(
    private readonly db: TenantDb,
    settings: ExportSettings,
  ) {
    this.sealer = SecretSealer.fromBase64(settings.adsCredentialKey);
  }

  async apply(tenantId: TenantId, states: MarketingAdsCredentialState[]): Promise<void> {
    await this.db.forTenant(tenantId, async (m) => {
      for (const s of states) {
        await m.query(
          `INSERT INTO ads_credentials AS c (tenant_id, ad_account_id, status, sealed_token, changed_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, ad_account_id) DO UPDATE SET
             status = EXCLUDED.status, sealed_token = EXCLUDED.sealed_token, changed_at = EXCLUDED.changed_at
           WHERE c.changed_at < EXCLUDED.changed_at
              OR (c.changed_at = EXCLUDED.changed_at AND EXCLUDED.status = 'deleted')`,
          [tenantId, s.adAccountId, s.status, s.status === 'active' ? (s.sealedToken ?? null) : null, s.changedAt],
        );
      }
    });
  }

  /** The tenant's token for the ad account, or null when it has none (or it does not open: logged, never the token). */
  async token(tenantId: TenantId, adAccountId: string): Promise<string | null> {
    const rows: Array<{ sealed_token: string | null }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT sealed_token FROM ads_credentials WHERE tenant_id = $1 AND ad_account_id = $2 AND status = 'active'`,
        [tenantId, adAccountId],
      ),
    );
    const sealed = rows[0]?.sealed_token;
    if (!sealed) {
      return null;
    }
    try {
      return this.sealer.open(sealed, adsCredentialAad(tenantId, adAccountId));
    } catch {
      this.logger.warn({ msg: 'an ads credential does not open with ADS_CREDENTIAL_KEY', adAccountId });
      return null;
    }
  }
}
