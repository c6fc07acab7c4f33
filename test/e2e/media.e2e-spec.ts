import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { NETWORK_SIGNATURE_HEADER, signBody } from '@custody/contracts';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { TestTenant } from '../support/tenant-store.harness';
import { customerRef } from '../support/sealing';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The Cloud API's media endpoints on ingest (issue 12): upload, metadata with a 5-minute download
 * URL, download, delete; the bytes sealed at rest; another tenant's media id answers like an
 * unknown one. Real Kafka and PostgreSQL.
 */
describe('media endpoints (real stack)', () => {
  let p: PlatformHarness;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    p = await startPlatform();
    a = await p.newTenant();
    b = await p.newTenant();
  });

  afterAll(async () => {
    await p?.close();
  });

  async function upload(
    tenant: TestTenant,
    parts: { product?: string; type?: string; file?: { bytes: Buffer; type: string; name: string } },
  ): Promise<{ status: number; body: any }> {
    const form = new FormData();
    if (parts.product !== undefined) {
      form.append('messaging_product', parts.product);
    }
    if (parts.type !== undefined) {
      form.append('type', parts.type);
    }
    if (parts.file) {
      form.append('file', new Blob([parts.file.bytes], { type: parts.file.type }), parts.file.name);
    }
    const res = await fetch(`${p.ingestUrl}/v25.0/${tenant.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tenant.token()}` },
      body: form,
    });
    return { status: res.status, body: await res.json() };
  }

  const get = async (tenant: TestTenant, path: string) => {
    const res = await fetch(`${p.ingestUrl}${path}`, { headers: { authorization: `Bearer ${await tenant.token()}` } });
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      type,
      bytes: Buffer.from(await res.arrayBuffer()),
    };
  };
  const json = (r: { bytes: Buffer }) => JSON.parse(r.bytes.toString('utf8'));

  it('uploads, describes, downloads and deletes, with the bytes sealed at rest', async () => {
    const marker = `media-marker-${randomUUID()}`;
    const bytes = Buffer.from(`%PDF-1.4 ${marker} the customer's invoice`);
    const up = await upload(a, {
      product: 'whatsapp',
      type: 'application/pdf',
      file: { bytes, type: 'application/pdf', name: 'invoice.pdf' },
    });
    expect(up.status).toBe(200);
    expect(up.body.id).toMatch(/^\d{16}$/);
    const id = up.body.id as string;

    const meta = await get(a, `/v25.0/${id}`);
    expect(meta.status).toBe(200);
    const described = json(meta);
    expect(described).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringMatching(new RegExp(`^/v25\\.0/media/${id}/content\\?token=`)),
      mime_type: 'application/pdf',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      file_size: bytes.length,
      id,
    });
    const download = await get(a, described.url);
    expect(download.status).toBe(200);
    expect(download.type).toBe('application/pdf');
    expect(download.bytes.equals(bytes)).toBe(true);

    // At rest: only ciphertext.
    const rows = await p.sql(`SELECT t::text AS row FROM ingest.media t WHERE id = $1`, [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].row).not.toContain(marker);

    // A newer URL replaces the older one; a token that was never issued is refused.
    const again = json(await get(a, `/v25.0/${id}`));
    expect((await get(a, described.url)).status).toBe(401);
    expect((await get(a, again.url)).status).toBe(200);
    expect((await get(a, `/v25.0/media/${id}/content?token=forged`)).status).toBe(401);
    // The owning number filter.
    expect((await get(a, `/v25.0/${id}?phone_number_id=${a.phoneNumberId}`)).status).toBe(200);
    expect((await get(a, `/v25.0/${id}?phone_number_id=1${a.phoneNumberId}`)).status).toBe(404);

    // Another tenant: exactly like an unknown id, and no download even with A's URL.
    const foreign = await get(b, `/v25.0/${id}`);
    const unknown = await get(b, `/v25.0/9${id.slice(1)}`);
    expect(foreign.status).toBe(404);
    expect(json(foreign).error.message.replace(id, 'X')).toBe(
      json(unknown).error.message.replace(`9${id.slice(1)}`, 'X'),
    );
    expect((await get(b, again.url)).status).toBe(404);
    const bDelete = await fetch(`${p.ingestUrl}/v25.0/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await b.token()}` },
    });
    expect(bDelete.status).toBe(404);

    const deleted = await fetch(`${p.ingestUrl}/v25.0/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await a.token()}` },
    });
    expect({ status: deleted.status, body: await deleted.json() }).toEqual({ status: 200, body: { success: true } });
    expect((await get(a, `/v25.0/${id}`)).status).toBe(404);
  });

  it('refuses what the Cloud API refuses, in the Graph error shape, and stores nothing', async () => {
    const [before] = await p.sql(`SELECT count(*)::int AS n FROM ingest.media WHERE tenant_id = $1`, [a.id]);
    const png = { bytes: Buffer.from('not really a png'), type: 'image/png', name: 'a.png' };
    const cases: Array<[string, Parameters<typeof upload>[1], number, number]> = [
      ['no messaging_product', { type: 'image/png', file: png }, 400, 100],
      ['no file', { product: 'whatsapp', type: 'image/png' }, 400, 100],
      ['unsupported type', { product: 'whatsapp', type: 'application/x-msdownload', file: png }, 400, 131053],
      ['empty file', { product: 'whatsapp', file: { ...png, bytes: Buffer.alloc(0) } }, 400, 131053],
      [
        'image over 5 MB',
        { product: 'whatsapp', file: { ...png, bytes: Buffer.alloc(5 * 1024 * 1024 + 1, 1) } },
        400,
        131053,
      ],
    ];
    for (const [what, parts, status, code] of cases) {
      const res = await upload(a, parts);
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status, code });
    }
    // Another tenant's number.
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('file', new Blob([png.bytes], { type: 'image/png' }), 'a.png');
    const foreignNumber = await fetch(`${p.ingestUrl}/v25.0/${b.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await a.token()}` },
      body: form,
    });
    expect(foreignNumber.status).toBe(404);
    const [after] = await p.sql(`SELECT count(*)::int AS n FROM ingest.media WHERE tenant_id = $1`, [a.id]);
    expect(after.n).toBe(before.n);
  });

  it('leaves ingest’s own routes alone: /health/ready and GET /v1/webhook still answer', async () => {
    expect((await fetch(`${p.ingestUrl}/health/ready`)).status).toBe(200);
    const webhook = await get(a, '/v1/webhook');
    expect(webhook.status).toBe(200);
    expect(json(webhook)).toHaveProperty('url');
  });

  it('sends uploaded media by id (the tenant’s own, of a fitting type) and refuses any other id', async () => {
    const waId = p.newCustomer();
    // The customer writes to both tenants' numbers: their windows are open.
    for (const tenant of [a, b]) {
      const wrote = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: { phoneNumberId: tenant.phoneNumberId, text: 'send me the picture' },
      });
      expect(wrote.body.ingestStatus).toBe(200);
    }
    const bytes = Buffer.from('\x89PNG\r\n\x1a\n a picture');
    // messaging_product in the query string, as one published SDK sends it.
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'p.png');
    const uploaded = await fetch(`${p.ingestUrl}/v25.0/${a.phoneNumberId}/media?messaging_product=whatsapp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await a.token()}` },
      body: form,
    });
    expect(uploaded.status).toBe(200);
    const imageId = ((await uploaded.json()) as { id: string }).id;
    const pdf = await upload(a, {
      product: 'whatsapp',
      file: { bytes: Buffer.from('%PDF-1.4 x'), type: 'application/pdf', name: 'x.pdf' },
    });
    const send = async (tenant: TestTenant, body: Record<string, unknown>) =>
      p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
        token: await tenant.token(),
        body: { messaging_product: 'whatsapp', to: waId, ...body },
      });

    const sent = await send(a, { type: 'image', image: { id: imageId, caption: 'here it is' } });
    expect(sent.status).toBe(200);
    const delivered = await (async () => {
      for (let i = 0; i < 200; i += 1) {
        const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${a.phoneNumberId}`);
        const found = (r.body as any[]).find((m) => m.messageId === sent.body.messages[0].id);
        if (found) {
          return found;
        }
        await new Promise((r2) => setTimeout(r2, 100));
      }
      throw new Error('the image never reached the customer');
    })();
    expect(delivered.content).toEqual({
      id: imageId,
      caption: 'here it is',
      mime_type: 'image/png',
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });

    const refusals: Array<[string, TestTenant, Record<string, unknown>, number, RegExp]> = [
      ['unknown id', a, { type: 'image', image: { id: '1234567890123456' } }, 100, /media attachment ID/],
      ['another tenant’s id', b, { type: 'image', image: { id: imageId } }, 100, /media attachment ID/],
      ['a PDF as an image', a, { type: 'image', image: { id: pdf.body.id } }, 131053, /application\/pdf/],
      ['link and id', a, { type: 'image', image: { id: imageId, link: 'https://x.example/a.png' } }, 100, /not both/],
    ];
    for (const [what, tenant, body, code, details] of refusals) {
      const res = await send(tenant, body);
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status: 400, code });
      expect(res.body.error.error_data.details).toMatch(details);
    }
  });

  it('media a customer sends arrives with an id the tenant reads and downloads like an upload (and no other tenant can)', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const c = await p.newTenant({ webhookUrl: receiver.url });
      const waId = p.newCustomer();
      const bytes = Buffer.from('\xff\xd8\xff a photo of the broken heel');
      const sent = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: {
          phoneNumberId: c.phoneNumberId,
          media: { type: 'image', mimeType: 'image/jpeg', data: bytes.toString('base64'), caption: 'broken heel' },
        },
      });
      expect([sent.status, sent.body.ingestStatus, sent.body.error]).toEqual([201, 200, undefined]);
      const messageId = sent.body.messageId as string;
      const item = await (async () => {
        for (let i = 0; i < 200; i += 1) {
          const found = receiver.items('messages').find((m) => m.id === messageId);
          if (found) {
            return found;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('the image webhook never came');
      })();
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(item).toMatchObject({
        type: 'image',
        image: { id: expect.stringMatching(/^\d{16}$/), mime_type: 'image/jpeg', sha256, caption: 'broken heel' },
      });
      const mediaId = item.image.id as string;
      const meta = await get(c, `/v25.0/${mediaId}`);
      expect(json(meta)).toMatchObject({ id: mediaId, mime_type: 'image/jpeg', sha256, file_size: bytes.length });
      const download = await get(c, json(meta).url as string);
      expect(download.bytes.equals(bytes)).toBe(true);
      // Sealed at rest, and another tenant's id for everyone else.
      const [row] = await p.sql(`SELECT content_ciphertext, customer_ref FROM ingest.media WHERE id = $1`, [mediaId]);
      expect(row.customer_ref).toBe(await customerRef(c.id, waId));
      expect(Buffer.from(row.content_ciphertext).includes(Buffer.from('broken heel'))).toBe(false);
      expect((await get(a, `/v25.0/${mediaId}`)).status).toBe(404);
      // Erasing the customer erases the media they sent.
      const erasure = await p.store.request('POST', '/v1/erasure-requests', { token: await c.token(), body: { waId } });
      expect(erasure.status).toBe(202);
      await waitFor(
        'the customer’s media erased',
        async () => (await p.sql(`SELECT 1 FROM ingest.media WHERE id = $1`, [mediaId])).length === 0,
        60_000,
      );
    } finally {
      await receiver.stop();
    }
  });

  /** A batch delivered to ingest as the network does (signed); ingest's HTTP status. */
  const deliver = async (events: unknown[]): Promise<number> => {
    const body = JSON.stringify({ events });
    const res = await fetch(`${p.ingestUrl}/network/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [NETWORK_SIGNATURE_HEADER]: signBody(p.networkSecret, body) },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  };
  const wamid = () => `wamid.${randomBytes(18).toString('base64url')}`;
  const imageEvent = (tenant: TestTenant, waId: string, id: string, networkMediaId: string) => ({
    kind: 'message',
    phoneNumberId: tenant.phoneNumberId,
    from: { waId },
    message: {
      id,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: 'image',
      image: { id: networkMediaId, mime_type: 'image/jpeg', caption: 'the receipt' },
    },
  });
  const mediaFetches = async (): Promise<number> => (await p.sandbox('GET', '/sandbox/v1/stats')).body.mediaFetches;
  const mediaRows = async (tenant: TestTenant): Promise<number> =>
    (await p.sql(`SELECT count(*)::int AS n FROM ingest.media WHERE tenant_id = $1`, [tenant.id]))[0].n;
  const webhookItem = async (receiver: WebhookReceiver, messageId: string) => {
    let found: any;
    await waitFor(
      `the webhook of ${messageId}`,
      async () => (found = receiver.items('messages').find((m) => m.id === messageId)) !== undefined,
      60_000,
    );
    return found;
  };
  const DOWNLOAD_ERROR = {
    code: 131052,
    title: 'Media download error',
    message: 'Media download error',
    error_data: { details: 'Unable to download the media sent by the user.' },
  };

  it('media the network refuses for good (a redirect, never followed; expired) arrives unsupported, with the rest of the batch', async () => {
    // Where a redirect would lead (an internal address, say): it must never be asked.
    let elsewhereHits = 0;
    const elsewhere = createServer((_req, res) => {
      elsewhereHits += 1;
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end('instance credentials');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const receiver = await new WebhookReceiver().start();
    try {
      const c = await p.newTenant({ webhookUrl: receiver.url });
      const waId = p.newCustomer();
      const redirected = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: {
          phoneNumberId: c.phoneNumberId,
          media: {
            type: 'image',
            mimeType: 'image/jpeg',
            data: Buffer.from('\xff\xd8\xff a photo').toString('base64'),
            caption: 'look',
            testRedirectTo: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/latest/meta-data/`,
          },
        },
      });
      expect([redirected.status, redirected.body.ingestStatus]).toEqual([201, 200]);
      expect(await webhookItem(receiver, redirected.body.messageId)).toEqual({
        from: waId,
        id: redirected.body.messageId,
        timestamp: expect.stringMatching(/^\d+$/),
        errors: [DOWNLOAD_ERROR],
        type: 'unsupported',
        unsupported: { type: 'image' },
      });
      expect(elsewhereHits).toBe(0);

      // Media the network no longer has (404: expired), in one batch with a text: one 200, both delivered.
      const expired = wamid();
      const text = wamid();
      const status = await deliver([
        imageEvent(c, waId, expired, '4040404040'),
        {
          kind: 'message',
          phoneNumberId: c.phoneNumberId,
          from: { waId },
          message: { id: text, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } },
        },
      ]);
      expect(status).toBe(200);
      expect(await webhookItem(receiver, expired)).toMatchObject({
        errors: [DOWNLOAD_ERROR],
        type: 'unsupported',
        unsupported: { type: 'image' },
      });
      expect(await webhookItem(receiver, text)).toMatchObject({ type: 'text', text: { body: 'hi' } });
      expect(await mediaRows(c)).toBe(0);
    } finally {
      await receiver.stop();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('checks the whole batch before fetching any media, fetches kept media only once, and retries when the network cannot serve it', async () => {
    const d = await p.newTenant();
    const waId = p.newCustomer();
    // A batch refused for a later event: no media fetched, none kept.
    let before = await mediaFetches();
    const refused = await deliver([
      imageEvent(d, waId, wamid(), '1234567'),
      { kind: 'message', phoneNumberId: '9999999999999', from: { waId }, message: {} },
    ]);
    expect(refused).toBe(400);
    expect(await mediaFetches()).toBe(before);
    expect(await mediaRows(d)).toBe(0);

    // Kept once; the network delivering the message again does not fetch it again.
    const sent = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: {
        phoneNumberId: d.phoneNumberId,
        media: { type: 'image', mimeType: 'image/png', data: Buffer.from('\x89PNG x').toString('base64') },
      },
    });
    expect(sent.body.ingestStatus).toBe(200);
    expect(await mediaRows(d)).toBe(1);
    before = await mediaFetches();
    expect(await deliver([imageEvent(d, waId, sent.body.messageId, '7777777')])).toBe(200);
    expect(await mediaFetches()).toBe(before);
    expect(await mediaRows(d)).toBe(1);

    // The network cannot serve media (an outage: 503): the batch is a temporary failure, nothing
    // is published; once the network is back, the same batch is accepted.
    const later = wamid();
    await p.sandbox('PUT', '/sandbox/v1/network', { body: { unavailable: true } });
    try {
      expect(await deliver([imageEvent(d, waId, later, '5035035035')])).toBe(503);
    } finally {
      await p.sandbox('PUT', '/sandbox/v1/network', { body: { unavailable: false } });
    }
    expect(await p.sql(`SELECT 1 FROM ingest.inbound_messages WHERE message_id = $1`, [later])).toHaveLength(0);
    expect(await deliver([imageEvent(d, waId, later, '5035035035')])).toBe(200);
  });
});
