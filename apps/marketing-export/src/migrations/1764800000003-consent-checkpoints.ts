import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The consent log's checkpoints as the export learns them (`custody.consent.checkpoints.v1`):
 * size and root per tenant, so the ledger can cite, for each consent entry an export relied on, a
 * checkpoint that proves it (the first one that contains it).
 */
export class ConsentCheckpoints1764800000003 implements MigrationInterface {
  name = 'ConsentCheckpoints1764800000003';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE consent_checkpoints (
        tenant_id uuid NOT NULL,
        tree_size bigint NOT NULL,
        root_hash text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, tree_size)
      )`,
      ...tenantRlsSql('consent_checkpoints'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE consent_checkpoints');
  }
}
