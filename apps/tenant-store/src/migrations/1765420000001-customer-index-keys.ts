import { MigrationInterface, QueryRunner } from 'typeorm';
import { customerIndexKeysTableSql, dropCustomerIndexKeysTableSql } from '@custody/crypto';

/** tenant-store's tenants' customer index keys: the HMAC keys of customers' references (blind indexes) and conversation ids, one per tenant, wrapped by the master key; made with the tenant, distributed on the tenants topic, destroyed at offboarding. */
export class CustomerIndexKeys1765420000001 implements MigrationInterface {
  name = 'CustomerIndexKeys1765420000001';

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
