import { MigrationInterface, QueryRunner } from 'typeorm';
import { REPLICAS_TABLE_SQL } from '@custody/database';

/** The live replicas (a heartbeat row each), so each replica takes its share of the API rate limits. */
export class Replicas1764900000017 implements MigrationInterface {
  name = 'Replicas1764900000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(REPLICAS_TABLE_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE replicas');
  }
}
