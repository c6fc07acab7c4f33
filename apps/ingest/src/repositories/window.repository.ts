import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';

/** The 24-hour customer service window per conversation, opened and renewed by customer messages. */
@Injectable()
export class WindowRepository {
  constructor(private readonly db: TenantDb) {}

  async renew(tenantId: TenantId, conversationId: string, at: Date): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO service_windows (conversation_id, tenant_id, last_customer_message_at) VALUES ($1, $2, $3)
         ON CONFLICT (conversation_id) DO UPDATE
           SET last_customer_message_at = GREATEST(service_windows.last_customer_message_at, EXCLUDED.last_customer_message_at)`,
        [conversationId, tenantId, at],
      ),
    );
  }

  async lastCustomerMessageAt(tenantId: TenantId, conversationId: string): Promise<Date | null> {
    const rows: Array<{ last_customer_message_at: Date }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT last_customer_message_at FROM service_windows WHERE conversation_id = $1`, [conversationId]),
    );
    return rows[0]?.last_customer_message_at ?? null;
  }
}
