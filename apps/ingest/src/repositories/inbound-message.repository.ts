import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';

export interface InboundRef {
  messageId: string;
  phoneNumberId: string;
  conversationId: string;
  /** The customer's reference and sealed number (never the number in clear). */
  customerRef: string;
  waIdCiphertext: string;
}

/** The ids of the customers' messages ingest accepted, with when the business read them. */
@Injectable()
export class InboundMessageRepository {
  constructor(private readonly db: TenantDb) {}

  /** Records a network batch's messages of one tenant: one statement; a redelivered one is kept as it was. */
  async record(tenantId: TenantId, refs: InboundRef[]): Promise<void> {
    if (refs.length === 0) {
      return;
    }
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO inbound_messages (tenant_id, message_id, phone_number_id, conversation_id, customer_ref, wa_id_ciphertext)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[])
         ON CONFLICT (tenant_id, message_id) DO NOTHING`,
        [
          tenantId,
          refs.map((r) => r.messageId),
          refs.map((r) => r.phoneNumberId),
          refs.map((r) => r.conversationId),
          refs.map((r) => r.customerRef),
          refs.map((r) => r.waIdCiphertext),
        ],
      ),
    );
  }

  /**
   * Marks the message read (the first time only) when it is one this number of this tenant
   * received; returns the customer (reference and sealed number), or null when there is no such message.
   */
  async markRead(
    tenantId: TenantId,
    phoneNumberId: string,
    messageId: string,
  ): Promise<{ customerRef: string; waIdCiphertext: string; readAt: Date } | null> {
    type Row = { customer_ref: string; wa_id_ciphertext: string; read_at: Date };
    const rows: Row[] = await this.db.forTenant(tenantId, async (m) => {
      const [updated]: [Row[], number] = await m.query(
        `UPDATE inbound_messages SET read_at = COALESCE(read_at, now())
          WHERE tenant_id = $1 AND message_id = $2 AND phone_number_id = $3
          RETURNING customer_ref, wa_id_ciphertext, read_at`,
        [tenantId, messageId, phoneNumberId],
      );
      return updated;
    });
    return rows[0]
      ? { customerRef: rows[0].customer_ref, waIdCiphertext: rows[0].wa_id_ciphertext, readAt: rows[0].read_at }
      : null;
  }
}
