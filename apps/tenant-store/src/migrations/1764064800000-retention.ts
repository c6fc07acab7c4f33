import { MigrationInterface, QueryRunner } from 'typeorm';

export class Retention1764064800000 implements MigrationInterface {
  name = 'Retention1764064800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE tenants ADD COLUMN retention_days int NOT NULL DEFAULT 30 CHECK (retention_days BETWEEN 1 AND 3650)`,
    );
    await q.query(`CREATE INDEX messages_retention ON messages (tenant_id, network_timestamp)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_retention`);
    await q.query(`ALTER TABLE tenants DROP COLUMN retention_days`);
  }
}
