import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The mapping from a customer's number to the pseudonym the consent log names them by, one row
 * per customer, so that erasing one customer destroys exactly that link. The row is found by a
 * keyed hash of the number (`lookup`, under the tenant's pseudonym key, domain-separated from any
 * pseudonym); new pseudonyms are random, so nothing but this row links them to the number.
 * Pseudonyms derived before this migration (HMAC of the number) are adopted on first use
 * (`legacy`); erasing one of those leaves a row without a subject, so it is never adopted again.
 */
export class CustomerPseudonyms1764400000002 implements MigrationInterface {
  name = 'CustomerPseudonyms1764400000002';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE customer_pseudonyms (
        tenant_id uuid NOT NULL,
        lookup bytea NOT NULL CHECK (length(lookup) = 32),
        subject text CHECK (subject ~ '^[0-9a-f]{64}$'),
        legacy boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, lookup)
      )`,
      `CREATE UNIQUE INDEX customer_pseudonyms_subject ON customer_pseudonyms (tenant_id, subject) WHERE subject IS NOT NULL`,
      ...tenantRlsSql('customer_pseudonyms'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customer_pseudonyms');
  }
}
