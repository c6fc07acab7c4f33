import { MigrationInterface, QueryRunner } from 'typeorm';
import { moveClearNumbersSql } from '@custody/crypto';

/**
 * A conversation names its customer by reference (`customer_ref`, the keyed blind index of the
 * number) and keeps the number only sealed (`customer_wa_id_ciphertext`, under the tenant's data
 * key). The number in clear (`customer_wa_id`) goes: numbers of conversations stored before wait in
 * `customer_number_backfill` until tenant-store, at its next start, computes their references and
 * sealed copies with the tenant's keys (CustomerRefBackfill) and deletes them there.
 */
export class CustomerRefs1765420000011 implements MigrationInterface {
  name = 'CustomerRefs1765420000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversations ADD COLUMN customer_ref text, ADD COLUMN customer_wa_id_ciphertext text`);
    for (const sql of moveClearNumbersSql([{ table: 'conversations', idColumn: 'id', clearColumn: 'customer_wa_id' }], {
      tenantsFk: true,
    })) {
      await q.query(sql);
    }
    await q.query(`CREATE INDEX conversations_tenant_customer_ref ON conversations (tenant_id, customer_ref)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The numbers are not restored in clear (those still waiting come back from the holding table).
    await q.query(`DROP INDEX IF EXISTS conversations_tenant_customer_ref`);
    await q.query(`ALTER TABLE conversations ADD COLUMN customer_wa_id text`);
    await q.query(
      `UPDATE conversations c SET customer_wa_id = b.wa_id FROM customer_number_backfill b
        WHERE b.table_name = 'conversations' AND b.row_id = c.id::text`,
    );
    await q.query(`DROP TABLE customer_number_backfill`);
    await q.query(`ALTER TABLE conversations DROP COLUMN customer_ref, DROP COLUMN customer_wa_id_ciphertext`);
  }
}
