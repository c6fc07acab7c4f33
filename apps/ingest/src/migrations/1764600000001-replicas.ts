import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live ingest replicas (a heartbeat row each), so every replica can take its share of the
 * per-number and per-pair rate limits. Platform data: no tenant column, no tenant policy.
 */
export class Replicas1764600000001 implements MigrationInterface {
  name = 'Replicas1764600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE replicas (
      id uuid PRIMARY KEY,
      started_at timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE replicas');
  }
}
