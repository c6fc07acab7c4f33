import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * Erasure requests (GDPR Art. 17) and each service's report on them. A request row never holds
 * the customer's number in clear: while it is pending, the number is kept encrypted under the
 * tenant's data key (to match a repeated request); on completion that ciphertext is dropped.
 */
export class Erasure1764400000001 implements MigrationInterface {
  name = 'Erasure1764400000001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE erasure_requests (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('pending', 'completed')),
        customer_ciphertext text,
        idempotency_key text,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT erasure_requests_forget_on_completion CHECK (status = 'pending' OR customer_ciphertext IS NULL)
      )`,
      `CREATE INDEX erasure_requests_tenant_recent ON erasure_requests (tenant_id, created_at DESC, id DESC)`,
      `CREATE INDEX erasure_requests_tenant_pending ON erasure_requests (tenant_id) WHERE status = 'pending'`,
      `CREATE UNIQUE INDEX erasure_requests_idempotency ON erasure_requests (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      ...tenantRlsSql('erasure_requests'),
      `CREATE TABLE erasure_service_status (
        request_id uuid NOT NULL REFERENCES erasure_requests(id) ON DELETE CASCADE,
        service text NOT NULL,
        tenant_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'erased', 'nothing_found', 'failed')),
        counts jsonb,
        error text,
        attempt int,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (request_id, service)
      )`,
      `CREATE INDEX erasure_service_status_tenant ON erasure_service_status (tenant_id)`,
      ...tenantRlsSql('erasure_service_status'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erasure_service_status');
    await q.query('DROP TABLE erasure_requests');
  }
}
