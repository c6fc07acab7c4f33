import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHmac, createSecretKey, KeyObject } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { MessageEvent, StatusEvent } from '@custody/contracts';
import {
  CustomerIdentity,
  DecryptionError,
  FieldCipher,
  LruCache,
  messageContentAad,
  WEBHOOK_APP_SECRET_AAD,
} from '@custody/crypto';
import { TenantId } from '@custody/database';
import { metricsRegistry } from '@custody/observability';
import { EgressError, EgressGuard } from '@custody/platform';
import { IngestEnv } from '../config/ingest.env';
import { RoutingRepository, WebhookTarget } from '../repositories/routing.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { buildEnvelope, nextDelayMs, PendingWebhook } from './webhook-envelope';

/** A stored event due to a tenant as a webhook. */
export interface NewWebhook {
  eventId: string;
  businessAccountId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  kind: PendingWebhook['kind'];
  payload: PendingWebhook['payload'];
}

interface PostOutcome {
  status: number | null;
  error: string | null;
  durationMs: number;
}

const BATCH = 100;
const LEASE_SECONDS = 120;

const webhookPosts = new Counter({
  name: 'custody_webhook_posts_total',
  help: 'Webhook POSTs to tenants, by outcome',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

const webhooksNotSent = new Counter({
  name: 'custody_webhook_events_not_sent_total',
  help: 'Webhook events not sent: the tenant has no webhook URL (no_url) or unsubscribed its app (unsubscribed)',
  labelNames: ['reason'],
  registers: [metricsRegistry],
});

/**
 * Delivers webhooks. The first attempt is direct: the consumer of stored events posts each batch
 * as soon as it is stored and records the outcome in one statement (a delivered webhook keeps no
 * payload). A batch whose direct attempt fails or takes longer than WEBHOOK_DIRECT_TIMEOUT_MS is
 * queued with its payload and retried here, and the tenant is served from the queue for
 * WEBHOOK_DIRECT_PAUSE_MS.
 *
 * Pending webhooks are delivered batched per tenant, signed with the tenant's app secret, retried
 * with exponential backoff and jitter up to the horizon. Tenants are served concurrently with a
 * timeout each, so one that is slow or down never holds up the others.
 */
@Injectable()
export class WebhookWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookWorkerService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly inFlight = new Set<TenantId>();
  /** Tenants whose direct attempts are paused (a recent one failed), until the time given. */
  private readonly directPausedUntil = new Map<TenantId, number>();

  constructor(
    private readonly env: IngestEnv,
    private readonly webhooks: WebhookRepository,
    private readonly routing: RoutingRepository,
    private readonly egress: EgressGuard,
    private readonly cipher: FieldCipher,
    private readonly identity: CustomerIdentity,
  ) {
    const backlog = () => this.webhooks.backlog();
    metricsRegistry.removeSingleMetric('custody_webhook_deliveries_pending');
    metricsRegistry.removeSingleMetric('custody_webhook_oldest_pending_age_seconds');
    // Read at scrape time from the shared table, so every replica reports the same backlog.
    new Gauge({
      name: 'custody_webhook_deliveries_pending',
      help: 'Webhook deliveries waiting to be delivered or retried (all tenants)',
      registers: [metricsRegistry],
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    new Gauge({
      name: 'custody_webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest pending webhook delivery',
      registers: [metricsRegistry],
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.schedule(200);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Wakes the worker now (new deliveries were enqueued). */
  wake(): void {
    if (!this.running) {
      this.schedule(0);
    }
  }

  /**
   * The first attempt for newly stored events of one tenant, made by the consumer: resolves once
   * the webhooks are delivered or queued for retry (so the consumer may commit its offsets).
   */
  async deliverNow(tenantId: TenantId, webhooks: NewWebhook[]): Promise<void> {
    if (webhooks.length === 0) {
      return;
    }
    const found = await this.routing.webhookFor(tenantId);
    if (!found?.url) {
      // Nothing is sent (as the Cloud API sends nothing to an app that is not subscribed).
      webhooksNotSent
        .labels(found?.configuredUrl && !found.subscribed ? 'unsubscribed' : 'no_url')
        .inc(webhooks.length);
      return;
    }
    const target = { ...found, url: found.url };
    if ((this.directPausedUntil.get(tenantId) ?? 0) > Date.now()) {
      await this.webhooks.enqueue(tenantId, webhooks);
      this.wake();
      return;
    }
    this.directPausedUntil.delete(tenantId);
    // The batch's POSTs go out at once (webhooks carry no order), then one transaction records them.
    const batches: NewWebhook[][] = [];
    for (let start = 0; start < webhooks.length; start += BATCH) {
      batches.push(webhooks.slice(start, start + BATCH));
    }
    const timeoutMs = Math.min(this.env.WEBHOOK_DIRECT_TIMEOUT_MS, this.env.WEBHOOK_TIMEOUT_MS);
    const posts = await Promise.all(
      batches.map(async (batch) => {
        const outcome = await this.post(
          tenantId,
          target,
          batch.map((w) => ({ ...w, id: w.eventId })),
          timeoutMs,
        );
        webhookPosts.labels(outcome.error === null ? 'delivered' : 'failed').inc();
        const nextAttemptAt =
          outcome.error === null ? null : new Date(Date.now() + nextDelayMs(1, this.env.WEBHOOK_RETRY_BASE_MS));
        return { rows: batch, outcome: { url: target.url, ...outcome, nextAttemptAt } };
      }),
    );
    await this.webhooks.recordDirect(tenantId, posts);
    if (posts.some((p) => p.outcome.error !== null)) {
      this.directPausedUntil.set(tenantId, Date.now() + this.env.WEBHOOK_DIRECT_PAUSE_MS);
      this.wake();
    }
  }

  /** The tenant's HMAC key, opened from its sealed app secret (once per value, cached). */
  private readonly signingKeys = new LruCache<string, { sealed: string; key: KeyObject }>(10_000, 5 * 60_000);

  private async signingKey(tenantId: TenantId, sealed: string): Promise<KeyObject> {
    const hit = this.signingKeys.get(tenantId);
    if (hit?.sealed === sealed) {
      return hit.key;
    }
    const key = createSecretKey(await this.cipher.decrypt(tenantId, sealed, WEBHOOK_APP_SECRET_AAD));
    this.signingKeys.set(tenantId, { sealed, key });
    return key;
  }

  /**
   * Opens what a batch must show the tenant: the messages' sealed content and the app secret
   * that signs the POST. The payloads stay sealed wherever they are kept (the delivery queue).
   */
  private async open(
    tenantId: TenantId,
    target: WebhookTarget,
    items: PendingWebhook[],
  ): Promise<{ body: string; signature: string } | null> {
    if (!target.appSecretCiphertext) {
      throw new Error('the tenant’s app secret has not arrived from tenant-store yet');
    }
    const key = await this.signingKey(tenantId, target.appSecretCiphertext);
    const contents = new Map<string, Record<string, unknown>>();
    const shredded = new Set<PendingWebhook>();
    for (const item of items) {
      if (item.kind === 'message') {
        const m = item.payload as MessageEvent;
        try {
          contents.set(
            m.messageId,
            await this.cipher.decryptJson<Record<string, unknown>>(
              tenantId,
              m.contentCiphertext,
              messageContentAad(m.messageId),
            ),
          );
        } catch (error) {
          // Its conversation's key was destroyed (the customer was erased, e.g. sealed with a key a
          // replica still had cached): the content no longer exists anywhere, and the tenant is not
          // sent an empty message. The rest of the batch goes out.
          if (error instanceof DecryptionError && error.reason === 'key-destroyed') {
            shredded.add(item);
            continue;
          }
          throw error;
        }
      }
    }
    const numbers = await this.openNumbers(tenantId, items, shredded);
    const deliverable = shredded.size === 0 ? items : items.filter((item) => !shredded.has(item));
    if (deliverable.length === 0) {
      return null;
    }
    const body = JSON.stringify(buildEnvelope(deliverable, contents, numbers));
    return { body, signature: `sha256=${createHmac('sha256', key).update(body).digest('hex')}` };
  }

  /**
   * The numbers of the batch's customers, opened once per sealed copy (the tenant sees its
   * customers' numbers). An item whose number's key was destroyed (its customer was erased) joins
   * `shredded`: it is not sent, the rest of the batch is.
   */
  private async openNumbers(
    tenantId: TenantId,
    items: PendingWebhook[],
    shredded: Set<PendingWebhook>,
  ): Promise<Map<string, string>> {
    const numbers = new Map<string, string>();
    const gone = new Set<string>();
    for (const item of items) {
      const customer =
        item.kind === 'message'
          ? (item.payload as MessageEvent).customer
          : item.kind === 'status'
            ? (item.payload as StatusEvent).recipient
            : undefined;
      if (!customer || shredded.has(item)) {
        continue;
      }
      if (!numbers.has(customer.ref) && !gone.has(customer.waIdCiphertext)) {
        const waId = await this.identity.openIfKept(tenantId, customer.ref, customer.waIdCiphertext);
        if (waId === null) {
          gone.add(customer.waIdCiphertext);
        } else {
          numbers.set(customer.ref, waId);
        }
      }
      if (gone.has(customer.waIdCiphertext)) {
        shredded.add(item);
      }
    }
    return numbers;
  }

  /** One signed POST of a batch to the tenant's URL; never throws. */
  private async post(
    tenantId: TenantId,
    target: WebhookTarget & { url: string },
    items: PendingWebhook[],
    timeoutMs: number,
  ): Promise<PostOutcome> {
    let opened: { body: string; signature: string } | null;
    try {
      opened = await this.open(tenantId, target, items);
    } catch (e) {
      // Keys not distributed yet, or destroyed: nothing is sent; the batch waits (sealed) for a retry.
      const reason = e instanceof Error ? e.name : 'error';
      return { status: null, error: `the webhook could not be prepared (${reason})`, durationMs: 0 };
    }
    if (opened === null) {
      // Every message of the batch was crypto-shredded: nothing left to deliver, done with.
      return { status: null, error: null, durationMs: 0 };
    }
    const { body, signature } = opened;
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      // The egress guard: public addresses only, pinned, no redirects, bounded (connections kept alive).
      const res = await this.egress.request(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signature,
          'user-agent': 'Custody-Webhooks/1.0',
        },
        body,
        timeoutMs,
      });
      status = res.status;
      if (res.status < 200 || res.status >= 300) {
        error = `HTTP ${res.status}`;
      }
    } catch (e) {
      error = e instanceof EgressError ? e.message : 'the URL could not be reached';
    }
    return { status, error, durationMs: Math.round(performance.now() - started) };
  }

  private schedule(ms: number): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(250);
      });
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      const tenants = (await this.webhooks.dueTenants(this.env.WEBHOOK_CONCURRENCY * 4)).filter(
        (t) => !this.inFlight.has(t),
      );
      const queue = [...tenants];
      const lanes = Array.from({ length: Math.min(this.env.WEBHOOK_CONCURRENCY, queue.length) }, async () => {
        for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
          this.inFlight.add(tenant);
          try {
            await this.deliverTenant(tenant);
          } catch (error) {
            this.logger.warn({ msg: 'webhook delivery round failed', err: error });
          } finally {
            this.inFlight.delete(tenant);
          }
        }
      });
      await Promise.all(lanes);
    } catch (error) {
      this.logger.warn({ msg: 'webhook worker tick failed', err: error });
    }
  }

  private async deliverTenant(tenantId: TenantId): Promise<void> {
    const claimed = await this.webhooks.claim(tenantId, BATCH, LEASE_SECONDS);
    if (claimed.length === 0) {
      return;
    }
    const ids = claimed.map((c) => c.id);
    const target = await this.routing.webhookFor(tenantId);
    if (!target?.url) {
      await this.fail(tenantId, claimed, null, 'no webhook URL configured');
      return;
    }
    const { status, error, durationMs } = await this.post(
      tenantId,
      { ...target, url: target.url },
      claimed,
      this.env.WEBHOOK_TIMEOUT_MS,
    );
    await this.webhooks.recordAttempt(tenantId, ids, target.url, status, error, durationMs);
    if (error === null) {
      webhookPosts.labels('delivered').inc();
      await this.webhooks.markDelivered(tenantId, ids);
      return;
    }
    webhookPosts.labels('failed').inc();
    await this.fail(tenantId, claimed, status, error);
  }

  private async fail(
    tenantId: TenantId,
    claimed: Array<{ id: string; attempts: number; createdAt: Date }>,
    status: number | null,
    error: string,
  ): Promise<void> {
    const horizon = this.env.WEBHOOK_RETRY_HORIZON_SECONDS * 1000;
    await this.webhooks.markFailed(
      tenantId,
      claimed.map((c) => {
        const next = new Date(Date.now() + nextDelayMs(c.attempts + 1, this.env.WEBHOOK_RETRY_BASE_MS));
        return { id: c.id, nextAttemptAt: next.getTime() - c.createdAt.getTime() > horizon ? null : next };
      }),
      status,
      error,
    );
  }
}
