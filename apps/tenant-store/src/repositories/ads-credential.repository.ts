import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantId } from '@custody/database';

export interface AdsCredentialRow {
  ad_account_id: string;
  token_ciphertext: string;
  created_at: Date;
  updated_at: Date;
  verified_at: Date;
}

/** A tenant's ads credentials (the token encrypted under the tenant's data key). Every method takes the tenant. */
@Injectable()
export class AdsCredentialRepository {
  async upsert(
    m: EntityManager,
    tenantId: TenantId,
    adAccountId: string,
    ciphertext: string,
  ): Promise<AdsCredentialRow> {
    const rows: AdsCredentialRow[] = await m.query(
      `INSERT INTO marketing_ads_credentials (tenant_id, ad_account_id, token_ciphertext, verified_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant_id, ad_account_id)
       DO UPDATE SET token_ciphertext = EXCLUDED.token_ciphertext, updated_at = now(), verified_at = now()
       RETURNING ad_account_id, token_ciphertext, created_at, updated_at, verified_at`,
      [tenantId, adAccountId, ciphertext],
    );
    return rows[0];
  }

  async find(m: EntityManager, tenantId: TenantId, adAccountId: string): Promise<AdsCredentialRow | null> {
    const rows: AdsCredentialRow[] = await m.query(
      `SELECT ad_account_id, token_ciphertext, created_at, updated_at, verified_at FROM marketing_ads_credentials
        WHERE tenant_id = $1 AND ad_account_id = $2`,
      [tenantId, adAccountId],
    );
    return rows[0] ?? null;
  }

  list(m: EntityManager, tenantId: TenantId): Promise<AdsCredentialRow[]> {
    return m.query(
      `SELECT ad_account_id, token_ciphertext, created_at, updated_at, verified_at FROM marketing_ads_credentials
        WHERE tenant_id = $1 ORDER BY ad_account_id`,
      [tenantId],
    );
  }

  /** Deletes one credential (or, without an account, all of the tenant's); returns the accounts deleted. */
  async delete(m: EntityManager, tenantId: TenantId, adAccountId?: string): Promise<string[]> {
    const [rows]: [Array<{ ad_account_id: string }>, number] = await m.query(
      `DELETE FROM marketing_ads_credentials WHERE tenant_id = $1 AND ($2::text IS NULL OR ad_account_id = $2)
       RETURNING ad_account_id`,
      [tenantId, adAccountId ?? null],
    );
    return rows.map((r) => r.ad_account_id);
  }
}
