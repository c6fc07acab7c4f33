import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenants ingest removed at their offboarding, by `offboardedTenantHash` (never the id): a
 * tenants event of such a tenant that arrives late (its consumer lagging behind the offboarding
 * request's) is not applied, so it cannot bring back routes or a webhook configuration.
 */
export class OffboardedTenants1765330000004 implements MigrationInterface {
  name = 'OffboardedTenants1765330000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE offboarded_tenants (
      tenant_hash text PRIMARY KEY CHECK (tenant_hash ~ '^[0-9a-f]{64}$'),
      offboarding_id uuid NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE offboarded_tenants`);
  }
}
