import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media customers sent (fetched from the network and kept, sealed, for 7 days) name the customer,
 * so that erasing the customer erases them; uploads have none.
 */
export class InboundMedia1765300000051 implements MigrationInterface {
  name = 'InboundMedia1765300000051';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE media ADD COLUMN wa_id text`);
    await q.query(`CREATE INDEX media_tenant_customer ON media (tenant_id, wa_id) WHERE wa_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS media_tenant_customer`);
    await q.query(`ALTER TABLE media DROP COLUMN IF EXISTS wa_id`);
  }
}
