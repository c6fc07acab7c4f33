import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Media references as the Cloud API hands them out: a media id per stored media message, valid
 * for a bounded time (`expires_at`), gone with its message (retention, erasure, offboarding). The
 * link itself stays inside the message's encrypted content.
 */
export class Media1764400000003 implements MigrationInterface {
  name = 'Media1764400000003';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE media_refs (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES messages(message_id) ON DELETE CASCADE,
        media_type text NOT NULL CHECK (media_type IN ('image', 'document', 'audio', 'video')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX media_refs_message ON media_refs (message_id)`,
      `CREATE INDEX media_refs_tenant ON media_refs (tenant_id)`,
      ...tenantRlsSql('media_refs'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE media_refs');
  }
}
