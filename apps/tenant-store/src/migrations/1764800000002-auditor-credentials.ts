import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Auditor credentials the operator mints: for one tenant's consent log (`tenant_id`) or for every
 * log (`tenant_id` null, platform-wide), always with an expiry. Kept apart from tenants' own
 * client credentials because a platform-wide one belongs to no tenant. Under the same row-level
 * security as tenant tables: a platform-wide row is visible to platform work only.
 */
export class AuditorCredentials1764800000002 implements MigrationInterface {
  name = 'AuditorCredentials1764800000002';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE auditor_credentials (
        client_id text PRIMARY KEY,
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        label text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`,
      ...tenantRlsSql('auditor_credentials'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE auditor_credentials');
  }
}
