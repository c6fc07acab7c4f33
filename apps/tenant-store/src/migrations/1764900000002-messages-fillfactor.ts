import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every outbound message is updated about three times after it is stored (sent, delivered, read).
 * With room left in each page those updates are HOT (heap-only: no new index entries, the old
 * version is pruned on the page), instead of moving the row and adding entries to both indexes.
 * Applies to pages written from now on.
 */
export class MessagesFillfactor1764900000002 implements MigrationInterface {
  name = 'MessagesFillfactor1764900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages RESET (fillfactor)`);
  }
}
