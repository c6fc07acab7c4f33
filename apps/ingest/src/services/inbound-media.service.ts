import { Injectable, Logger } from '@nestjs/common';
import { MessageType } from '@custody/contracts';
import { TenantId } from '@custody/database';
import { MediaUnavailableError, NetworkClient } from '../repositories/network.client';
import { checkMediaUpload, MEDIA_MAX_BYTES, sendableAs } from '../domain/media-types';
import { MediaService } from './media.service';

/** A customer message's media, as the network announced it (the batch it came in is valid). */
export interface InboundMediaItem {
  tenantId: TenantId;
  phoneNumberId: string;
  customerRef: string;
  messageId: string;
  /** The message type: image, document, audio, video or sticker. */
  type: string;
  /** The network's object of that type (`id` is the network's media id). */
  content: Record<string, unknown>;
}

/** What the message becomes: its type and content as the tenant will see them. */
export interface KeptMedia {
  messageType: MessageType;
  content: Record<string, unknown>;
}

/** Media fetched at once for one batch. */
export const MEDIA_FETCH_CONCURRENCY = 4;
/**
 * All of a batch's media is fetched within this time (the network waits for the answer to its
 * delivery): what is not kept by then makes the batch a temporary failure, and the next delivery
 * fetches only what is still missing.
 */
export const MEDIA_BATCH_DEADLINE_MS = 8_000;

/**
 * The Cloud API's answer for media it could not download from the user: the message arrives as
 * `unsupported` (its `unsupported.type` the type it had) with this error (docs/messaging.md).
 */
export const MEDIA_DOWNLOAD_ERROR = {
  code: 131052,
  title: 'Media download error',
  message: 'Media download error',
  error_data: { details: 'Unable to download the media sent by the user.' },
};

/**
 * Fetches a batch's customer media from the network and keeps it (MediaService.storeInbound),
 * once the whole batch is known to be valid: media already kept (a delivery again) is not fetched
 * again; at most MEDIA_FETCH_CONCURRENCY fetches run at once, all within MEDIA_BATCH_DEADLINE_MS.
 * Media the network refuses for good (a 4xx, a redirect, too large, a type the Cloud API does not
 * take) is marked unavailable on its message rather than failing the batch; anything else (a 5xx,
 * a timeout, the deadline, the database) answers null: the batch is to be delivered again.
 */
@Injectable()
export class InboundMediaService {
  private readonly logger = new Logger(InboundMediaService.name);
  /** MEDIA_BATCH_DEADLINE_MS; a field so that a unit test can shorten it. */
  deadlineMs = MEDIA_BATCH_DEADLINE_MS;

  constructor(
    private readonly network: NetworkClient,
    private readonly media: MediaService,
  ) {}

  /** Each item's message type and content, in order; null when the batch must be delivered again. */
  async keepAll(items: InboundMediaItem[]): Promise<KeptMedia[] | null> {
    const results: Array<KeptMedia | undefined> = new Array<KeptMedia | undefined>(items.length);
    // One fetch per message, however many times the batch carries it.
    const first = new Map<string, number>();
    const todo: number[] = [];
    const byTenant = new Map<TenantId, number[]>();
    for (const [i, item] of items.entries()) {
      const key = `${item.tenantId}:${item.messageId}`;
      if (!first.has(key)) {
        first.set(key, i);
        byTenant.set(item.tenantId, [...(byTenant.get(item.tenantId) ?? []), i]);
      }
    }
    try {
      for (const [tenantId, indexes] of byTenant) {
        const stored = await this.media.storedInbound(
          tenantId,
          indexes.map((i) => items[i].messageId),
        );
        for (const i of indexes) {
          const kept = stored.get(items[i].messageId);
          if (kept) {
            results[i] = keptAs(items[i], kept);
          } else {
            todo.push(i);
          }
        }
      }
    } catch {
      return null;
    }
    const deadline = AbortSignal.timeout(this.deadlineMs);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !deadline.aborted) {
        const i = todo[next];
        next += 1;
        results[i] = await this.keepOne(items[i], deadline).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MEDIA_FETCH_CONCURRENCY, todo.length) }, worker));
    const out: KeptMedia[] = [];
    for (const [i, item] of items.entries()) {
      const result = results[first.get(`${item.tenantId}:${item.messageId}`) ?? i];
      if (!result) {
        return null;
      }
      out.push(result);
    }
    return out;
  }

  private async keepOne(item: InboundMediaItem, deadline: AbortSignal): Promise<KeptMedia> {
    let fetched: { mimeType: string; bytes: Buffer };
    try {
      fetched = await this.network.fetchMedia(String(item.content.id), MEDIA_MAX_BYTES, deadline);
    } catch (error) {
      if (error instanceof MediaUnavailableError) {
        this.logger.warn({ msg: 'customer media unavailable', messageId: item.messageId, reason: error.message });
        return unavailable(item.type);
      }
      throw error;
    }
    const check = checkMediaUpload(undefined, fetched.mimeType, fetched.bytes.length);
    if (!check.ok || !sendableAs(item.type, check.mimeType)) {
      this.logger.warn({
        msg: 'customer media unavailable',
        messageId: item.messageId,
        reason: 'a type or size the Cloud API does not take',
      });
      return unavailable(item.type);
    }
    const kept = await this.media.storeInbound(
      item.tenantId,
      item.phoneNumberId,
      item.customerRef,
      item.messageId,
      check.mimeType,
      fetched.bytes,
    );
    return keptAs(item, { ...kept, mimeType: check.mimeType });
  }
}

function keptAs(item: InboundMediaItem, kept: { id: string; mimeType: string; sha256: string }): KeptMedia {
  return {
    messageType: item.type as MessageType,
    content: { ...item.content, id: kept.id, mime_type: kept.mimeType, sha256: kept.sha256 },
  };
}

/** The message as the Cloud API delivers media it could not download (caption and file name are not kept). */
function unavailable(type: string): KeptMedia {
  return { messageType: 'unsupported', content: { type, errors: [MEDIA_DOWNLOAD_ERROR] } };
}
