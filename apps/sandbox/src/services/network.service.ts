import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { NETWORK_SIGNATURE_HEADER, NetworkEvent, NetworkOutboundMessage, signBody } from '@custody/contracts';
import { SandboxEnv } from '../config/sandbox.env';

/** Statuses due within one slot of this many milliseconds leave together. */
const STATUS_SLOT_MS = 25;
/** ingest's limit of events per network batch. */
const MAX_BATCH_EVENTS = 1000;
/** Well below ingest's body limit (1 MB), whatever the events. */
const MAX_BATCH_BYTES = 512 * 1024;

/** A message a simulated customer sent, as the customer sees it. */
export interface SentMessage {
  messageId: string;
  sentAt: string;
  /** When the business marked it read (the blue ticks); null before. */
  readAt: string | null;
}

/** A read receipt from Custody: the business read a customer's message. */
export interface ReadReceipt {
  messageId: string;
  phoneNumberId: string;
  to: string;
  readAt: string;
}

export interface DeliveredMessage extends NetworkOutboundMessage {
  receivedAt: string;
}

export interface NetworkBehaviour {
  duplicatePercent: number;
  maxDelayMs: number;
  /** Customers (wa ids) whose messages fail. */
  failing: Set<string>;
  /** When false, customers never read (no `read` status). */
  customersRead: boolean;
  /** When true, the network answers Custody's outbound messages and media fetches with HTTP 503 (an outage). */
  unavailable: boolean;
}

/**
 * The simulated messaging network and its customers. Outbound messages land in the customer's
 * inbox and produce statuses sent/delivered/read (or failed) that reach ingest signed, late,
 * shuffled and sometimes twice, as the real network's do.
 */
@Injectable()
export class NetworkService implements OnApplicationShutdown {
  private readonly logger = new Logger(NetworkService.name);
  private readonly inboxes = new Map<string, DeliveredMessage[]>();
  /** What each customer sent, per business number, with the business's read receipt (the blue ticks). */
  private readonly outboxes = new Map<string, SentMessage[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  readonly behaviour: NetworkBehaviour;
  readonly stats = { outboundReceived: 0, statusesSent: 0, inboundSent: 0, deliveryFailures: 0, mediaFetches: 0 };

  constructor(private readonly env: SandboxEnv) {
    this.behaviour = {
      duplicatePercent: env.NETWORK_DUPLICATE_PERCENT,
      maxDelayMs: env.NETWORK_MAX_DELAY_MS,
      failing: new Set(),
      customersRead: true,
      unavailable: false,
    };
  }

  /** A customer writes to a business number; the network delivers it to ingest now. */
  async customerSends(
    waId: string,
    phoneNumberId: string,
    message: {
      text?: string;
      button?: { text: string; payload?: string };
      interactive?: { type: 'button_reply' | 'list_reply'; id: string; title: string; description?: string };
      media?: {
        type: string;
        mimeType: string;
        data: string;
        caption?: string;
        filename?: string;
        testRedirectTo?: string;
      };
      referral?: Record<string, string>;
      profileName?: string;
      contextId?: string;
    },
  ): Promise<{ messageId: string; status: number }> {
    const id = `wamid.${randomBytes(18).toString('base64url')}`;
    const media = message.media ? this.keepMedia(message.media) : undefined;
    const event: NetworkEvent = {
      kind: 'message',
      phoneNumberId,
      from: { waId, profileName: message.profileName },
      message: {
        id,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: media ? media.type : message.interactive ? 'interactive' : message.button ? 'button' : 'text',
        ...(media
          ? { [media.type]: media.object }
          : message.interactive
            ? { interactive: interactiveReply(message.interactive) }
            : message.button
              ? { button: message.button }
              : { text: { body: message.text ?? '' } }),
        ...(message.contextId ? { context: { id: message.contextId } } : {}),
        ...(message.referral ? { referral: message.referral } : {}),
      },
    };
    const status = await this.post([event]);
    this.stats.inboundSent += 1;
    const key = `${phoneNumberId}:${waId}`;
    this.outboxes.set(
      key,
      [...(this.outboxes.get(key) ?? []), { messageId: id, sentAt: new Date().toISOString(), readAt: null }].slice(
        -1000,
      ),
    );
    return { messageId: id, status };
  }

  /** Media customers sent, by the network's media id (the last 200); redirectTo: a test's redirect. */
  private readonly media = new Map<string, { mimeType: string; bytes: Buffer; redirectTo?: string }>();

  private keepMedia(m: {
    type: string;
    mimeType: string;
    data: string;
    caption?: string;
    filename?: string;
    testRedirectTo?: string;
  }) {
    const bytes = Buffer.from(m.data, 'base64');
    const mediaId = `${randomInt(1e6, 1e7)}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    this.media.set(mediaId, {
      mimeType: m.mimeType,
      bytes,
      ...(m.testRedirectTo ? { redirectTo: m.testRedirectTo } : {}),
    });
    if (this.media.size > 200) {
      this.media.delete(this.media.keys().next().value as string);
    }
    return {
      type: m.type,
      object: {
        id: mediaId,
        mime_type: m.mimeType,
        sha256: createHash('sha256').update(bytes).digest('base64'),
        ...(m.caption ? { caption: m.caption } : {}),
        ...(m.filename ? { filename: m.filename } : {}),
      },
    };
  }

  /** A customer's media, for Custody to fetch by the network's media id. */
  mediaFor(mediaId: string): { mimeType: string; bytes: Buffer; redirectTo?: string } | undefined {
    this.stats.mediaFetches += 1;
    return this.media.get(mediaId);
  }

  /** The network accepts messages from Custody for delivery. */
  accept(messages: NetworkOutboundMessage[]): void {
    const now = new Date().toISOString();
    for (const m of messages) {
      this.stats.outboundReceived += 1;
      const key = `${m.phoneNumberId}:${m.to}`;
      const inbox = this.inboxes.get(key) ?? [];
      if (!inbox.some((x) => x.messageId === m.messageId)) {
        inbox.push({ ...m, receivedAt: now });
      }
      this.inboxes.set(key, inbox.slice(-1000));
      this.scheduleStatuses(m);
    }
  }

  /** Read receipts from Custody; a receipt for a message the customer did not send changes nothing. */
  receive(receipts: ReadReceipt[]): number {
    let applied = 0;
    for (const r of receipts) {
      const sent = this.outboxes.get(`${r.phoneNumberId}:${r.to}`)?.find((m) => m.messageId === r.messageId);
      if (sent) {
        sent.readAt ??= r.readAt;
        applied += 1;
      }
    }
    return applied;
  }

  /** What the customer sent to this business number, with the read receipts. */
  sent(waId: string, phoneNumberId: string): SentMessage[] {
    return this.outboxes.get(`${phoneNumberId}:${waId}`) ?? [];
  }

  inbox(waId: string, phoneNumberId: string): DeliveredMessage[] {
    return this.inboxes.get(`${phoneNumberId}:${waId}`) ?? [];
  }

  private scheduleStatuses(m: NetworkOutboundMessage): void {
    const failing = this.behaviour.failing.has(m.to);
    const statuses: Array<'sent' | 'delivered' | 'read' | 'failed'> = failing
      ? ['sent', 'failed']
      : this.behaviour.customersRead
        ? ['sent', 'delivered', 'read']
        : ['sent', 'delivered'];
    const base = Math.floor(Date.now() / 1000);
    for (const [index, status] of statuses.entries()) {
      const event: NetworkEvent = {
        kind: 'status',
        phoneNumberId: m.phoneNumberId,
        status: {
          id: m.messageId,
          status,
          timestamp: String(base + index),
          recipientId: m.to,
          ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}),
          ...(status === 'sent' ? pricingOf(m, base) : {}),
        },
      };
      const copies = randomInt(0, 100) < this.behaviour.duplicatePercent ? 2 : 1;
      for (let c = 0; c < copies; c += 1) {
        this.later(randomInt(0, this.behaviour.maxDelayMs + 1), event);
      }
    }
  }

  /** Statuses waiting for their time slot, by slot (a multiple of STATUS_SLOT_MS). */
  private readonly slots = new Map<number, NetworkEvent[]>();

  /**
   * Queues a status for after `delayMs`. Delays are rounded up to the next slot of
   * STATUS_SLOT_MS, and each slot leaves as one signed batch (at most 1,000 events, ingest's
   * limit): the way the Cloud API delivers statuses, batched, and one timer per slot rather than
   * per status.
   */
  private later(delayMs: number, event: NetworkEvent): void {
    const slot = Math.ceil((Date.now() + delayMs) / STATUS_SLOT_MS) * STATUS_SLOT_MS;
    const queued = this.slots.get(slot);
    if (queued) {
      queued.push(event);
      return;
    }
    this.slots.set(slot, [event]);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const events = this.slots.get(slot) ?? [];
      this.slots.delete(slot);
      this.flush(events);
    }, slot - Date.now());
    this.timers.add(timer);
  }

  /**
   * Sends a slot's statuses in batches within ingest's limits: at most MAX_BATCH_EVENTS events and
   * MAX_BATCH_BYTES of JSON each (a burst of first contacts fills a slot with hundreds of events).
   */
  private flush(events: NetworkEvent[]): void {
    let batch: NetworkEvent[] = [];
    let bytes = 0;
    for (const event of events) {
      const size = Buffer.byteLength(JSON.stringify(event)) + 1;
      if (batch.length > 0 && (batch.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
        this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(event);
      bytes += size;
    }
    if (batch.length > 0) {
      this.send(batch);
    }
  }

  private send(batch: NetworkEvent[]): void {
    const sending = this.post(batch)
      .then((status) => {
        if (status >= 200 && status < 300) {
          this.stats.statusesSent += batch.length;
          return;
        }
        // Refused for good (4xx): the statuses are lost to Custody; say so rather than count them sent.
        this.stats.deliveryFailures += 1;
        this.logger.warn({ msg: 'ingest refused a status batch', status, events: batch.length });
      })
      .catch(() => undefined)
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  private post(events: NetworkEvent[]): Promise<number> {
    return this.signedPost('/network/v1/events', { events });
  }

  /** Signed POST to one of ingest's network endpoints, retried a few times like a real network would. */
  async signedPost(path: string, payload: unknown): Promise<number> {
    const body = JSON.stringify(payload);
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        const res = await fetch(`${this.env.INGEST_URL}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [NETWORK_SIGNATURE_HEADER]: signBody(this.env.NETWORK_HMAC_SECRET, body),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status < 500) {
          return res.status;
        }
        lastError = `HTTP ${res.status}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
    this.stats.deliveryFailures += 1;
    this.logger.warn({ msg: 'network could not reach ingest', error: lastError });
    throw new Error(`ingest unreachable: ${lastError}`);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) {
      clearTimeout(t);
    }
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
  }
}

/** A customer's reply to an interactive message, in the Cloud API's inbound shape. */
function interactiveReply(reply: {
  type: 'button_reply' | 'list_reply';
  id: string;
  title: string;
  description?: string;
}) {
  const chosen = { id: reply.id, title: reply.title, ...(reply.description ? { description: reply.description } : {}) };
  return reply.type === 'button_reply'
    ? { type: 'button_reply', button_reply: chosen }
    : { type: 'list_reply', list_reply: chosen };
}

/**
 * The `pricing` and `conversation` of a `sent` status, as the Cloud API reports them under
 * per-message pricing: a free-form message (inside the customer service window) is a free service
 * message; a template is billed (as a utility template until templates carry their own category).
 */
function pricingOf(
  m: NetworkOutboundMessage,
  sentAt: number,
): Required<Pick<Extract<NetworkEvent, { kind: 'status' }>['status'], 'pricing' | 'conversation'>> {
  const template = m.type === 'template';
  // A template is billed in its own category (as approved); anything else in the window is service.
  const declared = typeof m.content.category === 'string' ? m.content.category.toLowerCase() : '';
  const category = template
    ? ['marketing', 'utility', 'authentication'].includes(declared)
      ? declared
      : 'utility'
    : 'service';
  return {
    pricing: {
      billable: template,
      pricing_model: 'PMP',
      type: template ? 'regular' : 'free_customer_service',
      category,
    },
    conversation: {
      // One conversation per business number, customer and category for 24 hours.
      id: createHash('sha256')
        .update(`${m.phoneNumberId}:${m.to}:${category}:${Math.floor(sentAt / 86_400)}`)
        .digest('hex')
        .slice(0, 32),
      expiration_timestamp: String((Math.floor(sentAt / 86_400) + 1) * 86_400),
      origin: { type: category },
    },
  };
}
