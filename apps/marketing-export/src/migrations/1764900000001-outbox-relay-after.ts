import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_RELAY_AFTER_SQL } from '@custody/database';

/**
 * Outbox rows carry the time the poller may take them: at once for most, after a grace for rows
 * the committing process publishes itself (the poller is then only the fallback).
 */
export class OutboxRelayAfter1764900000001 implements MigrationInterface {
  name = 'OutboxRelayAfter1764900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_RELAY_AFTER_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN relay_after`);
  }
}
