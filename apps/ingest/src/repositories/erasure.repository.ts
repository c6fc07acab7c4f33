import { Injectable } from '@nestjs/common';
import { conversationIdFor } from '@custody/contracts';
import { TenantDb, TenantId } from '@custody/database';

export interface IngestErasureCounts {
  webhookDeliveries: number;
  serviceWindows: number;
  idempotencyKeys: number;
  inboundMessages: number;
  /** Media the customer sent (kept under Custody media ids). */
  customerMedia: number;
}

const BATCH = 1000;

/** What ingest holds of one customer of a tenant: webhook payloads, service windows, send responses. */
@Injectable()
export class IngestErasureRepository {
  constructor(private readonly db: TenantDb) {}

  /** `customerRef`: the customer's reference (ingest keeps no number in clear). */
  async eraseCustomer(tenantId: TenantId, customerRef: string): Promise<IngestErasureCounts> {
    const conversationIds = await this.db.forTenant(tenantId, async (m) => {
      const numbers: Array<{ phone_number_id: string }> = await m.query(
        `SELECT phone_number_id FROM tenant_numbers WHERE tenant_id = $1`,
        [tenantId],
      );
      return numbers.map((n) => conversationIdFor(tenantId, n.phone_number_id, customerRef));
    });
    let webhookDeliveries = 0;
    for (;;) {
      // Rows name their conversation (delivered ones keep nothing else); pending payloads are the
      // stored message or status events, which name the customer too (`customer.ref`,
      // `recipient.ref`), in case the number has moved since.
      const [, affected]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
        m.query(
          `DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries
              WHERE tenant_id = $1
                AND (conversation_id = ANY($2::uuid[]) OR payload->>'conversationId' = ANY($2::uuid[]::text[]) OR payload->'customer'->>'ref' = $3 OR payload->'recipient'->>'ref' = $3)
              LIMIT ${BATCH})`,
          [tenantId, conversationIds, customerRef],
        ),
      );
      webhookDeliveries += affected;
      if (affected < BATCH) {
        break;
      }
    }
    return this.db.forTenant(tenantId, async (m) => {
      const [, serviceWindows]: [unknown, number] = await m.query(
        `DELETE FROM service_windows WHERE tenant_id = $1 AND conversation_id = ANY($2::uuid[])`,
        [tenantId, conversationIds],
      );
      // A send's stored response names its recipient (`customerRef`, beside its sealed `contacts`).
      const [, idempotencyKeys]: [unknown, number] = await m.query(
        `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND response->>'customerRef' = $2`,
        [tenantId, customerRef],
      );
      const [, inboundMessages]: [unknown, number] = await m.query(
        `DELETE FROM inbound_messages WHERE tenant_id = $1 AND (customer_ref = $2 OR conversation_id = ANY($3::uuid[]))`,
        [tenantId, customerRef, conversationIds],
      );
      // Media the customer sent (uploads name no customer).
      const [, customerMedia]: [unknown, number] = await m.query(
        `DELETE FROM media WHERE tenant_id = $1 AND customer_ref = $2`,
        [tenantId, customerRef],
      );
      return { webhookDeliveries, serviceWindows, idempotencyKeys, inboundMessages, customerMedia };
    });
  }
}
