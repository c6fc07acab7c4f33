import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Template edits (`POST /{template-id}`): when an approved template was edited, so that the Cloud
 * API's limits (one edit per 24 hours, ten per 30 days) hold across replicas.
 */
export class TemplateEdits1765400000060 implements MigrationInterface {
  name = 'TemplateEdits1765400000060';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE message_templates ADD COLUMN approved_edits timestamptz[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE message_templates DROP COLUMN IF EXISTS approved_edits`);
  }
}
