import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The tenants' ads credentials as tenant-store passed them on (the token sealed under
 * ADS_CREDENTIAL_KEY, opened only to call the destination): the export calls each destination
 * with its own tenant's token for that ad account, never with a platform-wide one.
 */
export class AdsCredentials1764900000015 implements MigrationInterface {
  name = 'AdsCredentials1764900000015';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE ads_credentials (
        tenant_id uuid NOT NULL,
        ad_account_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'deleted')),
        sealed_token text,
        changed_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ad_account_id),
        CHECK ((status = 'active') = (sealed_token IS NOT NULL))
      )`,
      ...tenantRlsSql('ads_credentials'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ads_credentials');
  }
}
