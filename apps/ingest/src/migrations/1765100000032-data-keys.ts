import { MigrationInterface, QueryRunner } from 'typeorm';
import { dataKeysTableSql, dropDataKeysTableSql } from '@custody/crypto';

/**
 * ingest's copy of the tenants' data keys (wrapped by the master key, as tenant-store
 * distributes them on the tenants topic), and webhook app secrets kept sealed under them. Secrets
 * stored in clear before are dropped here; tenant-store publishes every such tenant again, sealed,
 * when it starts.
 */
export class DataKeys1765100000032 implements MigrationInterface {
  name = 'DataKeys1765100000032';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of dataKeysTableSql()) {
      await q.query(sql);
    }
    await q.query(`ALTER TABLE tenant_webhooks RENAME COLUMN app_secret TO app_secret_ciphertext`);
    await q.query(`ALTER TABLE tenant_webhooks ALTER COLUMN app_secret_ciphertext DROP NOT NULL`);
    await q.query(
      `UPDATE tenant_webhooks SET app_secret_ciphertext = NULL WHERE app_secret_ciphertext NOT LIKE 'v1.%'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM tenant_webhooks WHERE app_secret_ciphertext IS NULL`);
    await q.query(`ALTER TABLE tenant_webhooks ALTER COLUMN app_secret_ciphertext SET NOT NULL`);
    await q.query(`ALTER TABLE tenant_webhooks RENAME COLUMN app_secret_ciphertext TO app_secret`);
    for (const sql of dropDataKeysTableSql()) {
      await q.query(sql);
    }
  }
}
