import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Media uploaded through the Cloud API's media endpoints: the bytes sealed under the tenant's data
 * key (never in clear), their type, SHA-256 and size; a download token (its hash) that lasts 5
 * minutes; an expiry 30 days after the upload.
 */
export class Media1765200000041 implements MigrationInterface {
  name = 'Media1765200000041';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE media (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        phone_number_id text NOT NULL,
        mime_type text NOT NULL,
        sha256 text NOT NULL,
        file_size bigint NOT NULL,
        content_ciphertext text NOT NULL,
        download_token_hash text,
        download_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX media_tenant_created ON media (tenant_id, created_at)`,
      ...tenantRlsSql('media'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS media`);
  }
}
