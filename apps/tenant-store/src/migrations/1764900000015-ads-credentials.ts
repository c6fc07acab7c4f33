import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * A tenant's ads credentials (one access token per ad account it registered), the token
 * encrypted under the tenant's data key; and an ads object (audience, dataset) bound to one
 * tenant and one ad account across all tenants (the unique index sees every row, whatever the
 * row-level security of the inserting transaction).
 */
export class AdsCredentials1764900000015 implements MigrationInterface {
  name = 'AdsCredentials1764900000015';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE marketing_ads_credentials (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        ad_account_id text NOT NULL CHECK (ad_account_id ~ '^act_[0-9]{1,32}$'),
        token_ciphertext text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        verified_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ad_account_id)
      )`,
      ...tenantRlsSql('marketing_ads_credentials'),
      `CREATE UNIQUE INDEX marketing_destinations_object ON marketing_destinations (kind, object_id)`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX marketing_destinations_object');
    await q.query('DROP TABLE marketing_ads_credentials');
  }
}
