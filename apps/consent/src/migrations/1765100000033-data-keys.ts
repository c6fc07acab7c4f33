import { MigrationInterface, QueryRunner } from 'typeorm';
import { dataKeysTableSql, dropDataKeysTableSql } from '@custody/crypto';

/** consent's copy of the tenants' data keys, wrapped by the master key, as tenant-store distributes them. */
export class DataKeys1765100000033 implements MigrationInterface {
  name = 'DataKeys1765100000033';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of dataKeysTableSql()) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropDataKeysTableSql()) {
      await q.query(sql);
    }
  }
}
