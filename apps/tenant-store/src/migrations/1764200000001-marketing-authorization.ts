import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * A tenant's marketing authorizations: ads destinations, one authorization per destination whose
 * current state is kept beside an append-only log of every version (who, when, what), and the
 * conversation labels an authorization may be scoped to.
 */
export class MarketingAuthorization1764200000001 implements MigrationInterface {
  name = 'MarketingAuthorization1764200000001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE marketing_destinations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('customer_list_audience', 'conversions_dataset')),
        ad_account_id text NOT NULL CHECK (ad_account_id ~ '^act_[0-9]{1,32}$'),
        object_id text NOT NULL CHECK (object_id ~ '^[0-9]{1,32}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, kind, ad_account_id, object_id)
      )`,
      ...tenantRlsSql('marketing_destinations'),
      `CREATE TABLE marketing_authorizations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        destination_id uuid NOT NULL UNIQUE REFERENCES marketing_destinations(id) ON DELETE CASCADE,
        version int NOT NULL CHECK (version >= 1),
        status text NOT NULL CHECK (status IN ('active', 'withdrawn')),
        data_uses text[] NOT NULL CHECK (cardinality(data_uses) BETWEEN 1 AND 20),
        scope text NOT NULL CHECK (scope IN ('all', 'label', 'ad_referral')),
        label text CHECK ((scope = 'label') = (label IS NOT NULL)),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      // The message path reads a tenant's active authorizations on every stored batch.
      `CREATE INDEX marketing_authorizations_active ON marketing_authorizations (tenant_id) WHERE status = 'active'`,
      ...tenantRlsSql('marketing_authorizations'),
      `CREATE TABLE marketing_authorization_versions (
        authorization_id uuid NOT NULL REFERENCES marketing_authorizations(id) ON DELETE CASCADE,
        version int NOT NULL CHECK (version >= 1),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('active', 'withdrawn')),
        data_uses text[] NOT NULL,
        scope text NOT NULL,
        label text,
        actor text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (authorization_id, version)
      )`,
      `CREATE INDEX marketing_authorization_versions_tenant ON marketing_authorization_versions (tenant_id)`,
      ...tenantRlsSql('marketing_authorization_versions'),
      // The log is append-only: a version, once written, never changes (rows go only with the tenant).
      `CREATE FUNCTION marketing_authorization_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'marketing authorization versions are immutable';
       END $$`,
      `CREATE TRIGGER marketing_authorization_versions_no_update BEFORE UPDATE ON marketing_authorization_versions
         FOR EACH ROW EXECUTE FUNCTION marketing_authorization_versions_immutable()`,
      // Labels a tenant puts on its conversations (authorizations with scope 'label' select by them).
      `ALTER TABLE conversations ADD COLUMN labels text[] NOT NULL DEFAULT '{}'`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE conversations DROP COLUMN labels');
    await q.query('DROP TABLE marketing_authorization_versions');
    await q.query('DROP FUNCTION marketing_authorization_versions_immutable()');
    await q.query('DROP TABLE marketing_authorizations');
    await q.query('DROP TABLE marketing_destinations');
  }
}
