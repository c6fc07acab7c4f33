import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { asTenantId, TenantId } from '@custody/database';
import { IngestEnv } from '../config/ingest.env';
import { RoutingRepository } from '../repositories/routing.repository';
import { invalidParameter } from './graph-error';
import { unknownObject } from './media.service';
import { WebhookSubscriptionService } from './webhook-subscription.service';

export interface SubscribedApp {
  whatsapp_business_api_data: { id: string; name: string; link?: string };
  override_callback_uri?: string;
}

/**
 * The Cloud API's webhook subscription of a business account (`/{waba-id}/subscribed_apps`). In
 * Custody the "app" is the tenant's own webhook endpoint: one per tenant (its account), subscribed
 * by default. Unsubscribed, no webhook is sent (events stay readable through the API); a `POST`
 * subscribes again, with `override_callback_uri` and `verify_token` after the same verification
 * handshake as `PUT /v1/webhook`.
 */
@Injectable()
export class SubscribedAppsService {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly subscriptions: WebhookSubscriptionService,
    private readonly env: IngestEnv,
  ) {}

  private async account(callerTenantId: string, businessAccountId: string, method: 'get' | 'post' | 'delete') {
    const tenantId = asTenantId(callerTenantId);
    if (!(await this.routing.ownsBusinessAccount(tenantId, businessAccountId))) {
      throw unknownObject(method, businessAccountId);
    }
    return tenantId;
  }

  async list(callerTenantId: string, businessAccountId: string): Promise<{ data: SubscribedApp[] }> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'get');
    const target = await this.routing.webhookFor(tenantId);
    if (!target?.subscribed) {
      return { data: [] };
    }
    const base = this.env.PUBLIC_BASE_URL?.replace(/\/+$/, '');
    return {
      data: [
        {
          whatsapp_business_api_data: { id: appIdOf(tenantId), name: 'Custody', ...(base ? { link: base } : {}) },
          ...(target.source === 'tenant' && target.configuredUrl
            ? { override_callback_uri: target.configuredUrl }
            : {}),
        },
      ],
    };
  }

  async subscribe(callerTenantId: string, businessAccountId: string, body: unknown): Promise<{ success: true }> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'post');
    const override = parseSubscribe(body);
    if (override) {
      // The handshake first: an endpoint that does not verify changes nothing.
      await this.subscriptions.set(tenantId, override);
    }
    await this.routing.setSubscribed(tenantId, true);
    return { success: true };
  }

  async unsubscribe(callerTenantId: string, businessAccountId: string): Promise<{ success: true }> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'delete');
    await this.routing.setSubscribed(tenantId, false);
    return { success: true };
  }
}

/** The app id Custody shows for a tenant's subscription: stable digits, like a Graph app id. */
function appIdOf(tenantId: TenantId): string {
  const n = createHash('sha256').update(`custody.app|${tenantId}`).digest().readBigUInt64BE(0);
  return `1${(n % 10n ** 14n).toString().padStart(14, '0')}`;
}

/** `{}` or `{override_callback_uri, verify_token}` (both or neither). */
export function parseSubscribe(body: unknown): { url: string; verifyToken: string } | null {
  const b = body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw invalidParameter('The request body must be a JSON object');
  }
  const fields = b as Record<string, unknown>;
  const extra = Object.keys(fields).find((k) => !['override_callback_uri', 'verify_token'].includes(k));
  if (extra !== undefined) {
    throw invalidParameter(`Unexpected key "${extra}"`);
  }
  const { override_callback_uri: uri, verify_token: token } = fields;
  if (uri === undefined && token === undefined) {
    return null;
  }
  if (typeof uri !== 'string' || !/^https?:\/\/[^\s]{1,2040}$/.test(uri) || !URL.canParse(uri)) {
    throw invalidParameter('override_callback_uri must be an http(s) URL, given with verify_token');
  }
  if (typeof token !== 'string' || token.length < 1 || token.length > 200) {
    throw invalidParameter('verify_token must be 1 to 200 characters, given with override_callback_uri');
  }
  return { url: uri, verifyToken: token };
}
