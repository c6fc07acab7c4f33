import { get } from 'node:http';
import { Client } from 'pg';
import { MessageEvent } from '@custody/contracts';
import { FieldCipher } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { uniqueDigits } from '@custody/testing';
import { startTenantStore, TenantStoreHarness, TestTenant } from '../../../test/support/tenant-store.harness';
import { inboundMessage, publishInbound } from '../../../test/support/messages';
import { waitFor } from '../../../test/support/wait';

const DAY = 86_400_000;

describe('media ids and short-lived download URLs (real Kafka and PostgreSQL)', () => {
  let ts: TenantStoreHarness;
  let db: Client;
  beforeAll(async () => {
    ts = await startTenantStore();
    db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await ts?.close();
  });

  const image = (tenant: TestTenant, waId: string, ageMs: number, link: string): Promise<MessageEvent> =>
    inboundMessage(tenant, waId, {
      messageType: 'image',
      content: { link, caption: 'my receipt' },
      networkTimestamp: new Date(Date.now() - ageMs),
    });

  it('gives each media message an id valid 30 days and URLs valid 5 minutes that redirect to the media', async () => {
    const [tenant, other] = [await ts.newTenant(), await ts.newTenant()];
    const op = await ts.operatorToken();
    // A long retention, so that the 31-day-old message is kept (and its media id has expired).
    expect(
      (await ts.request('PATCH', `/v1/tenants/${tenant.id}`, { token: op, body: { retentionDays: 90 } })).status,
    ).toBe(200);
    const waId = `1555${uniqueDigits(7)}`;
    const fresh = await image(tenant, waId, 1000, 'https://cdn.example.com/receipts/fresh.jpg');
    const old = await image(tenant, waId, 31 * DAY, 'https://cdn.example.com/receipts/old.jpg');
    await publishInbound([old, fresh]);
    await waitFor(
      'both stored',
      async () => {
        await db.query('BEGIN');
        await db.query(`SELECT set_config('custody.platform', 'on', true)`);
        const rows = await db.query(
          `SELECT count(*)::int AS n FROM tenant_store.media_refs WHERE message_id = ANY($1)`,
          [[fresh.messageId, old.messageId]],
        );
        await db.query('COMMIT');
        return rows.rows[0].n === 2;
      },
      45_000,
    );

    const token = await tenant.token();
    const conversation = await ts.request('GET', `/v1/conversations/${fresh.conversationId}`, { token });
    const stored = conversation.body.messages.find((m: any) => m.id === fresh.messageId);
    expect(stored).toMatchObject({
      type: 'image',
      mediaId: expect.stringMatching(/^\d{16}$/),
      content: { link: 'https://cdn.example.com/receipts/fresh.jpg' },
    });
    const oldId = conversation.body.messages.find((m: any) => m.id === old.messageId).mediaId;

    // A Host header of the caller's choosing does not become the download URL's host (fetch
    // cannot send one: node:http can).
    const spoofed = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const target = new URL(`/v1/media/${stored.mediaId}`, ts.url);
      get(target, { headers: { host: 'attacker.example', authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      }).on('error', reject);
    });
    expect(spoofed.status).toBe(200);
    expect(spoofed.body.url).not.toContain('attacker.example');
    const media = await ts.request('GET', `/v1/media/${stored.mediaId}`, { token });
    expect(media.status).toBe(200);
    expect(media.body.url).toMatch(/^\/v1\/media\/\d{16}\/download\?token=/); // no PUBLIC_BASE_URL in the harness
    media.body.url = `${ts.url}${media.body.url}`;
    expect(media.body).toMatchObject({
      id: stored.mediaId,
      messageId: fresh.messageId,
      mediaType: 'image',
      custody: { e2e: false },
    });
    const urlValidFor = Date.parse(media.body.urlExpiresAt) - Date.now();
    expect(urlValidFor).toBeGreaterThan(4 * 60_000);
    expect(urlValidFor).toBeLessThanOrEqual(5 * 60_000);
    expect(Date.parse(media.body.expiresAt) - Date.parse(fresh.networkTimestamp)).toBe(30 * DAY);
    expect(media.body.url).not.toContain('cdn.example.com');

    // The URL needs no bearer token and redirects to the media.
    const download = await fetch(media.body.url, { redirect: 'manual' });
    expect(download.status).toBe(302);
    expect(download.headers.get('location')).toBe('https://cdn.example.com/receipts/fresh.jpg');
    // A token altered, moved to another media id, or expired does not work.
    const url = new URL(media.body.url);
    const forged = url.searchParams.get('token')!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(
      (await fetch(`${url.origin}${url.pathname}?token=${encodeURIComponent(forged)}`, { redirect: 'manual' })).status,
    ).toBe(404);
    expect((await fetch(`${url.origin}/v1/media/${oldId}/download${url.search}`, { redirect: 'manual' })).status).toBe(
      404,
    );
    const cipher = ts.app.get(FieldCipher);
    const stale = await cipher.encrypt(asTenantId(tenant.id), String(Date.now() - 1000), {
      messageId: `media:${stored.mediaId}`,
      field: 'download-url',
    });
    const expiredUrl = await fetch(`${url.origin}${url.pathname}?token=${encodeURIComponent(stale)}`, {
      redirect: 'manual',
    });
    expect(expiredUrl.status).toBe(410);
    expect(((await expiredUrl.json()) as any).error).toMatchObject({ status: 410, code: 'url_expired' });
    expect((await fetch(`${url.origin}${url.pathname}`, { redirect: 'manual' })).status).toBe(404);

    // The 31-day-old media id has expired; another tenant cannot see this tenant's media; nonsense is a 404.
    const expired = await ts.request('GET', `/v1/media/${oldId}`, { token });
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe('media_expired');
    expect((await ts.request('GET', `/v1/media/${stored.mediaId}`, { token: await other.token() })).status).toBe(404);
    expect((await ts.request('GET', '/v1/media/not-a-media-id', { token })).status).toBe(404);
    expect((await ts.request('GET', `/v1/media/${stored.mediaId}`)).status).toBe(401);
  });
});
