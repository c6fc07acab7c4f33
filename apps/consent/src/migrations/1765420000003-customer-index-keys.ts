import { MigrationInterface, QueryRunner } from 'typeorm';
import { customerIndexKeysTableSql, dropCustomerIndexKeysTableSql } from '@custody/crypto';

/** consent's copy of the tenants' customer index keys (wrapped by the master key, as tenant-store distributes them on the tenants topic): consent turns customers' numbers into references with them. */
export class CustomerIndexKeys1765420000003 implements MigrationInterface {
  name = 'CustomerIndexKeys1765420000003';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of customerIndexKeysTableSql()) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropCustomerIndexKeysTableSql()) {
      await q.query(sql);
    }
  }
}
