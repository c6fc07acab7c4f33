import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offboardings and each service's report on them. They outlive the tenant, so they hold no
 * tenant id: the tenant is named by `tenant_hash`, the SHA-256 of a fixed prefix and its id, which
 * lets the operator who knows the id read the report and tells no one else which tenant it was.
 */
export class Offboardings1765330000001 implements MigrationInterface {
  name = 'Offboardings1765330000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE offboardings (
      id uuid PRIMARY KEY,
      tenant_hash text NOT NULL CHECK (tenant_hash ~ '^[0-9a-f]{64}$'),
      status text NOT NULL CHECK (status IN ('pending', 'completed')),
      requested_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX offboardings_tenant ON offboardings (tenant_hash, created_at DESC)`);
    await q.query(`CREATE TABLE offboarding_services (
      offboarding_id uuid NOT NULL REFERENCES offboardings (id) ON DELETE CASCADE,
      service text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'removed', 'failed')),
      tables jsonb,
      effects jsonb,
      log_head jsonb,
      error text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (offboarding_id, service)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE offboarding_services`);
    await q.query(`DROP TABLE offboardings`);
  }
}
