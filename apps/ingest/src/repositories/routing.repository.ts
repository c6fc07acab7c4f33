import { Injectable } from '@nestjs/common';
import { asTenantId, TenantDb, TenantId } from '@custody/database';
import { deleteTenantRows, SqlRunner, tenantTables } from '@custody/platform';
import { offboardedTenantHash } from '@custody/contracts';

export interface NumberRoute {
  phoneNumberId: string;
  tenantId: TenantId;
  businessAccountId: string;
  displayPhoneNumber: string;
  /** The business's display name, as tenant-store publishes it (null until it has). */
  verifiedName: string | null;
  status: 'active' | 'suspended';
  messagesPerSecond: number;
}

export interface WebhookTarget {
  /** Where webhooks go now: null when none is set or the app is unsubscribed (then none is sent). */
  url: string | null;
  /** The URL set, subscribed or not. */
  configuredUrl: string | null;
  /** Whether the app is subscribed to the account's webhooks (`/{waba-id}/subscribed_apps`). */
  subscribed: boolean;
  /** The tenant's app secret sealed under its data key (null until tenant-store has published it sealed). */
  appSecretCiphertext: string | null;
  source: 'operator' | 'tenant';
  verifiedAt: Date | null;
}

const CACHE_TTL_MS = 2000;

const routeOfRow = (row: Record<string, string | number | null>): NumberRoute => ({
  phoneNumberId: String(row.phone_number_id),
  tenantId: asTenantId(String(row.tenant_id)),
  businessAccountId: String(row.business_account_id),
  displayPhoneNumber: String(row.display_phone_number),
  verifiedName: row.verified_name === null ? null : String(row.verified_name),
  status: row.status as NumberRoute['status'],
  messagesPerSecond: Number(row.messages_per_second),
});

/** ingest's projection of tenants: which number belongs to whom, and where its webhooks go. */
@Injectable()
export class RoutingRepository {
  private readonly cache = new Map<string, { route: NumberRoute | null; at: number }>();

  constructor(private readonly db: TenantDb) {}

  /**
   * Routing by phone number id happens before any tenant is known (the network names only the
   * number), so it is one of the explicit platform-scoped reads. Cached briefly on the hot path.
   */
  routeFor(phoneNumberId: string): Promise<NumberRoute | null> {
    const hit = this.cache.get(phoneNumberId);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) {
      return Promise.resolve(hit.route);
    }
    // One read per number at a time: the requests that find the entry expired share it.
    let loading = this.loading.get(phoneNumberId);
    if (!loading) {
      loading = this.loadRoute(phoneNumberId).finally(() => this.loading.delete(phoneNumberId));
      this.loading.set(phoneNumberId, loading);
    }
    return loading;
  }

  private readonly loading = new Map<string, Promise<NumberRoute | null>>();

  private async loadRoute(phoneNumberId: string): Promise<NumberRoute | null> {
    const rows: Array<Record<string, string | number | null>> = await this.db.forPlatform((m) =>
      m.query(
        `SELECT phone_number_id, tenant_id, business_account_id, display_phone_number, verified_name, status, messages_per_second
           FROM tenant_numbers WHERE phone_number_id = $1`,
        [phoneNumberId],
      ),
    );
    const row = rows[0];
    const route = row ? routeOfRow(row) : null;
    this.cache.set(phoneNumberId, { route, at: Date.now() });
    return route;
  }

  /** Whether the business account (WABA id) is one of the tenant's. */
  async ownsBusinessAccount(tenantId: TenantId, businessAccountId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT 1 FROM tenant_numbers WHERE tenant_id = $1 AND business_account_id = $2 LIMIT 1`, [
        tenantId,
        businessAccountId,
      ]),
    );
    return rows.length > 0;
  }

  /** The tenant's numbers in one of its business accounts, by id (none when the account is not its). */
  async numbersOfAccount(tenantId: TenantId, businessAccountId: string): Promise<NumberRoute[]> {
    const rows: Array<Record<string, string | number | null>> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT phone_number_id, tenant_id, business_account_id, display_phone_number, verified_name, status, messages_per_second
           FROM tenant_numbers WHERE tenant_id = $1 AND business_account_id = $2 ORDER BY phone_number_id`,
        [tenantId, businessAccountId],
      ),
    );
    return rows.map(routeOfRow);
  }

  /**
   * The tenant of a business account: the network names only the account (template reviews), so
   * this is a platform-scoped read like routing by number.
   */
  async tenantOfBusinessAccount(businessAccountId: string): Promise<TenantId | null> {
    const rows: Array<{ tenant_id: string }> = await this.db.forPlatform((m) =>
      m.query(`SELECT tenant_id FROM tenant_numbers WHERE business_account_id = $1 LIMIT 1`, [businessAccountId]),
    );
    return rows[0] ? asTenantId(rows[0].tenant_id) : null;
  }

  async applyTenant(
    tenantId: TenantId,
    facts: {
      businessAccountId: string;
      displayName?: string;
      status: 'active' | 'suspended';
      messagesPerSecond: number;
      numbers: Array<{ phoneNumberId: string; displayPhoneNumber: string }>;
      webhookUrl?: string;
      appSecretCiphertext?: string;
      retentionDays?: number;
    },
  ): Promise<void> {
    // A projection of tenant-store's routing facts: platform-scoped, because a number that moved
    // from another tenant (offboarded, then reassigned) must leave that tenant first.
    await this.db.forPlatform(async (m) => {
      const ids = facts.numbers.map((n) => n.phoneNumberId);
      await m.query(`DELETE FROM tenant_numbers WHERE tenant_id = $1 AND NOT (phone_number_id = ANY($2::text[]))`, [
        tenantId,
        ids,
      ]);
      await m.query(`DELETE FROM tenant_numbers WHERE phone_number_id = ANY($1::text[]) AND tenant_id <> $2`, [
        ids,
        tenantId,
      ]);
      for (const n of facts.numbers) {
        await m.query(
          `INSERT INTO tenant_numbers (phone_number_id, tenant_id, business_account_id, display_phone_number, status, messages_per_second, verified_name, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now())
           ON CONFLICT (phone_number_id) DO UPDATE SET business_account_id = EXCLUDED.business_account_id,
             display_phone_number = EXCLUDED.display_phone_number, status = EXCLUDED.status,
             messages_per_second = EXCLUDED.messages_per_second,
             verified_name = COALESCE(EXCLUDED.verified_name, tenant_numbers.verified_name), updated_at = now()`,
          [
            n.phoneNumberId,
            tenantId,
            facts.businessAccountId,
            n.displayPhoneNumber,
            facts.status,
            facts.messagesPerSecond,
            facts.displayName ?? null,
          ],
        );
        this.cache.delete(n.phoneNumberId);
      }
      this.webhookCache.delete(tenantId);
      if (facts.retentionDays !== undefined) {
        await m.query(
          `INSERT INTO tenant_retention (tenant_id, retention_days, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (tenant_id) DO UPDATE SET retention_days = EXCLUDED.retention_days, updated_at = now()`,
          [tenantId, facts.retentionDays],
        );
      }
      if (facts.appSecretCiphertext) {
        // A URL the tenant set and verified itself is kept; the operator's is the default.
        await m.query(
          `INSERT INTO tenant_webhooks (tenant_id, url, app_secret_ciphertext, source, updated_at) VALUES ($1, $2, $3, 'operator', now())
           ON CONFLICT (tenant_id) DO UPDATE SET app_secret_ciphertext = EXCLUDED.app_secret_ciphertext, updated_at = now(),
             url = CASE WHEN tenant_webhooks.source = 'tenant' THEN tenant_webhooks.url ELSE EXCLUDED.url END`,
          [tenantId, facts.webhookUrl ?? null, facts.appSecretCiphertext],
        );
      }
    });
  }

  /** Whether the tenant was offboarded (its tenants events are then no longer applied). */
  async isOffboarded(tenantId: TenantId): Promise<boolean> {
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT 1 FROM offboarded_tenants WHERE tenant_hash = $1`, [offboardedTenantHash(tenantId)]),
    );
    return rows.length > 0;
  }

  /**
   * An offboarded tenant (the `deleted` tenant event, with its keys gone): this replica forgets its
   * cached routes and webhook. Its rows go when the offboarding request arrives (`removeTenantRows`);
   * until then its numbers route to a suspended tenant without keys (sends refused, nothing sealed).
   */
  async forgetTenant(tenantId: TenantId): Promise<void> {
    this.webhookCache.delete(tenantId);
    const rows: Array<{ phone_number_id: string }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT phone_number_id FROM tenant_numbers WHERE tenant_id = $1`, [tenantId]),
    );
    rows.forEach((r) => this.cache.delete(r.phone_number_id));
  }

  /**
   * The offboarding request: every row of the tenant in every table of ingest's schema that has a
   * `tenant_id` (found in the catalog, so a table added later is covered), in batches. Returns
   * the rows removed per table.
   */
  async removeTenantRows(tenantId: TenantId, offboardingId: string): Promise<Record<string, number>> {
    // First the record that stops late tenants events from bringing rows back (the owner writes
    // it, through a function only the platform role may call).
    await this.db.forPlatform((m) => m.query(`SELECT record_offboarded_tenant($1, $2)`, [tenantId, offboardingId]));
    return this.removeRowsOf(tenantId);
  }

  /**
   * After a tenants event was applied: if the tenant was recorded as offboarded meanwhile, what the
   * event wrote goes again. (Its check before applying and its writes are separate transactions;
   * the offboarding's deletion runs after its record commits, so either that deletion sees these
   * writes or this check sees the record.) Returns whether the tenant is offboarded.
   */
  async sweepIfOffboarded(tenantId: TenantId): Promise<boolean> {
    if (!(await this.isOffboarded(tenantId))) {
      return false;
    }
    await this.removeRowsOf(tenantId);
    return true;
  }

  private async removeRowsOf(tenantId: TenantId): Promise<Record<string, number>> {
    await this.forgetTenant(tenantId);
    const tables = await this.db.forTenant(tenantId, (m) => tenantTables(m));
    const transaction = <T>(work: (m: SqlRunner) => Promise<T>) => this.db.forTenant(tenantId, work);
    const removed = await deleteTenantRows(transaction, tenantId, tables);
    // Once more: a write that began before the record committed (a webhook outcome) lands late.
    for (const [table, n] of Object.entries(await deleteTenantRows(transaction, tenantId, tables))) {
      removed[table] = (removed[table] ?? 0) + n;
    }
    // Routes cached by a lookup that ran meanwhile.
    this.webhookCache.delete(tenantId);
    this.cache.clear();
    return removed;
  }

  private readonly webhookCache = new Map<TenantId, { target: WebhookTarget | null; at: number }>();

  /** The tenant's webhook target; cached briefly (every stored event batch asks). */
  async webhookFor(tenantId: TenantId): Promise<WebhookTarget | null> {
    const hit = this.webhookCache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) {
      return hit.target;
    }
    const target = await this.loadWebhook(tenantId);
    this.webhookCache.set(tenantId, { target, at: Date.now() });
    return target;
  }

  private async loadWebhook(tenantId: TenantId): Promise<WebhookTarget | null> {
    const rows: Array<{
      url: string | null;
      subscribed: boolean;
      app_secret_ciphertext: string | null;
      source: WebhookTarget['source'];
      verified_at: Date | null;
    }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT url, subscribed, app_secret_ciphertext, source, verified_at FROM tenant_webhooks WHERE tenant_id = $1`,
        [tenantId],
      ),
    );
    const row = rows[0];
    return row
      ? {
          url: row.subscribed ? row.url : null,
          configuredUrl: row.url,
          subscribed: row.subscribed,
          appSecretCiphertext: row.app_secret_ciphertext,
          source: row.source,
          verifiedAt: row.verified_at,
        }
      : null;
  }

  /** Subscribes the tenant's app to its webhooks, or unsubscribes it; false when ingest has no such tenant. */
  async setSubscribed(tenantId: TenantId, subscribed: boolean): Promise<boolean> {
    this.webhookCache.delete(tenantId);
    const result: [unknown[], number] = await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE tenant_webhooks SET subscribed = $2, updated_at = now() WHERE tenant_id = $1`, [
        tenantId,
        subscribed,
      ]),
    );
    this.webhookCache.delete(tenantId);
    return result[1] > 0;
  }

  async setTenantWebhook(tenantId: TenantId, url: string): Promise<boolean> {
    this.webhookCache.delete(tenantId);
    const result: [unknown[], number] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE tenant_webhooks SET url = $2, source = 'tenant', verified_at = now(), updated_at = now() WHERE tenant_id = $1`,
        [tenantId, url],
      ),
    );
    this.webhookCache.delete(tenantId);
    return result[1] > 0;
  }
}
