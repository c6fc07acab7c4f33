import { MigrationInterface, QueryRunner } from 'typeorm';
import { moveClearNumbersSql } from '@custody/crypto';

/**
 * ingest's rows name customers by reference (`customer_ref`, the keyed blind index of the number):
 * the ids of received messages keep the number only sealed (`wa_id_ciphertext`, for the read
 * receipt), a customer's media only the reference (for erasure). The numbers in clear (`wa_id`) go:
 * those of rows stored before wait in `customer_number_backfill` until ingest, once the tenant's
 * keys are here, computes their references (CustomerRefBackfill) and deletes them there.
 */
export class CustomerRefs1765420000013 implements MigrationInterface {
  name = 'CustomerRefs1765420000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbound_messages ADD COLUMN customer_ref text, ADD COLUMN wa_id_ciphertext text`);
    await q.query(`ALTER TABLE media ADD COLUMN customer_ref text`);
    for (const sql of moveClearNumbersSql([
      { table: 'inbound_messages', idColumn: 'message_id', clearColumn: 'wa_id' },
      { table: 'media', idColumn: 'id', clearColumn: 'wa_id' },
    ])) {
      await q.query(sql);
    }
    await q.query(`CREATE INDEX inbound_messages_customer ON inbound_messages (tenant_id, customer_ref)`);
    await q.query(
      `CREATE INDEX media_tenant_customer_ref ON media (tenant_id, customer_ref) WHERE customer_ref IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS media_tenant_customer_ref`);
    await q.query(`DROP INDEX IF EXISTS inbound_messages_customer`);
    await q.query(`ALTER TABLE media ADD COLUMN wa_id text`);
    await q.query(`ALTER TABLE inbound_messages ADD COLUMN wa_id text`);
    for (const [table, id] of [
      ['media', 'id'],
      ['inbound_messages', 'message_id'],
    ]) {
      await q.query(
        `UPDATE ${table} x SET wa_id = b.wa_id FROM customer_number_backfill b WHERE b.table_name = '${table}' AND b.row_id = x.${id}`,
      );
    }
    await q.query(`DROP TABLE customer_number_backfill`);
    await q.query(`ALTER TABLE media DROP COLUMN customer_ref`);
    await q.query(`ALTER TABLE inbound_messages DROP COLUMN customer_ref, DROP COLUMN wa_id_ciphertext`);
  }
}
