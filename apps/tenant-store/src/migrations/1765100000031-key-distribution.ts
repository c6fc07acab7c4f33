import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook app secrets are sealed under the tenant's data key (the column holds an envelope), and
 * a tenant's wrapped data keys travel on the tenants topic to the services that seal and open its
 * content. `keys_distributed` marks the tenants whose secret is sealed and whose keys were
 * published; tenant-store seals and publishes the others when it starts (KeyDistributionService).
 */
export class KeyDistribution1765100000031 implements MigrationInterface {
  name = 'KeyDistribution1765100000031';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants RENAME COLUMN app_secret TO app_secret_ciphertext`);
    await q.query(`ALTER TABLE tenants ADD COLUMN keys_distributed boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP COLUMN keys_distributed`);
    await q.query(`ALTER TABLE tenants RENAME COLUMN app_secret_ciphertext TO app_secret`);
  }
}
