import { TenantId } from '@custody/database';
import { MediaUnavailableError, NetworkClient } from '../repositories/network.client';
import {
  InboundMediaItem,
  InboundMediaService,
  MEDIA_DOWNLOAD_ERROR,
  MEDIA_FETCH_CONCURRENCY,
} from './inbound-media.service';
import { MediaService } from './media.service';

const TENANT = '00000000-0000-4000-8000-000000000001' as TenantId;
const item = (n: number, type = 'image'): InboundMediaItem => ({
  tenantId: TENANT,
  phoneNumberId: '100000000000001',
  customerRef: 'ref',
  messageId: `wamid.message${n}xxxxxxxx`,
  type,
  content: { id: `net${n}`, caption: `caption ${n}` },
});
const PNG = { mimeType: 'image/png', bytes: Buffer.from('\x89PNG a picture') };

/** Fakes of the network and the media store; `answer` decides each fetch by the network's media id. */
function setup(answer: (networkId: string, signal?: AbortSignal) => Promise<{ mimeType: string; bytes: Buffer }>) {
  const fetched: string[] = [];
  const stored: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const already = new Map<string, { id: string; mimeType: string; sha256: string }>();
  const network = {
    fetchMedia: async (id: string, _max: number, signal?: AbortSignal) => {
      fetched.push(id);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await answer(id, signal);
      } finally {
        inFlight -= 1;
      }
    },
  } as unknown as NetworkClient;
  const media = {
    storedInbound: async (_tenant: TenantId, ids: string[]) => new Map([...already].filter(([id]) => ids.includes(id))),
    storeInbound: async (_t: TenantId, _p: string, _r: string, messageId: string) => {
      stored.push(messageId);
      return { id: `kept-${messageId}`, sha256: 'f00' };
    },
  } as unknown as MediaService;
  return { service: new InboundMediaService(network, media), fetched, stored, already, maxInFlight: () => maxInFlight };
}

describe('InboundMediaService.keepAll', () => {
  it('keeps each message’s media and gives it the Custody id, MIME type and hash', async () => {
    const s = setup(async () => PNG);
    const kept = await s.service.keepAll([item(1), item(2)]);
    expect(kept).toEqual([
      {
        messageType: 'image',
        content: { id: `kept-${item(1).messageId}`, caption: 'caption 1', mime_type: 'image/png', sha256: 'f00' },
      },
      {
        messageType: 'image',
        content: { id: `kept-${item(2).messageId}`, caption: 'caption 2', mime_type: 'image/png', sha256: 'f00' },
      },
    ]);
  });

  it('does not fetch again what a previous delivery kept, nor twice what a batch carries twice', async () => {
    const s = setup(async () => PNG);
    s.already.set(item(1).messageId, { id: 'earlier', mimeType: 'image/jpeg', sha256: 'abc' });
    const kept = await s.service.keepAll([item(1), item(2), item(2)]);
    expect(s.fetched).toEqual(['net2']);
    expect(s.stored).toEqual([item(2).messageId]);
    expect(kept?.[0].content).toEqual({ id: 'earlier', caption: 'caption 1', mime_type: 'image/jpeg', sha256: 'abc' });
    expect(kept?.[2]).toEqual(kept?.[1]);
  });

  it('a final refusal (4xx, redirect, too large) or a type the Cloud API does not take: that message is unsupported, the others are kept', async () => {
    const s = setup(async (id) => {
      if (id === 'net2') {
        throw new MediaUnavailableError('network refused the media: HTTP 404');
      }
      if (id === 'net3') {
        return { mimeType: 'application/x-msdownload', bytes: Buffer.from('MZ') };
      }
      return PNG;
    });
    const kept = await s.service.keepAll([item(1), item(2), item(3, 'document')]);
    expect(kept?.map((k) => k.messageType)).toEqual(['image', 'unsupported', 'unsupported']);
    expect(kept?.[1].content).toEqual({ type: 'image', errors: [MEDIA_DOWNLOAD_ERROR] });
    expect(kept?.[2].content).toEqual({ type: 'document', errors: [MEDIA_DOWNLOAD_ERROR] });
    expect(MEDIA_DOWNLOAD_ERROR.code).toBe(131052);
    expect(s.stored).toEqual([item(1).messageId]);
  });

  it('a temporary failure (5xx, timeout) makes the batch retry, and keeps what it could (not fetched again next time)', async () => {
    const s = setup(async (id) => {
      if (id === 'net2') {
        throw new Error('network could not serve the media: HTTP 503');
      }
      return PNG;
    });
    expect(await s.service.keepAll([item(1), item(2), item(3)])).toBeNull();
    expect(s.stored.sort()).toEqual([item(1).messageId, item(3).messageId].sort());
  });

  it('runs at most MEDIA_FETCH_CONCURRENCY fetches at once', async () => {
    const s = setup(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return PNG;
    });
    const items = Array.from({ length: 20 }, (_, i) => item(i));
    const kept = await s.service.keepAll(items);
    expect(kept).toHaveLength(20);
    expect(s.fetched).toHaveLength(20);
    expect(s.maxInFlight()).toBe(MEDIA_FETCH_CONCURRENCY);
  });

  it('stops at the batch deadline: fetches in flight are aborted, the rest not started, the batch retries', async () => {
    const s = setup(
      (_id, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    s.service.deadlineMs = 100;
    const items = Array.from({ length: 10 }, (_, i) => item(i));
    expect(await s.service.keepAll(items)).toBeNull();
    expect(s.fetched).toHaveLength(MEDIA_FETCH_CONCURRENCY);
  });
});
