import { randomUUID } from 'node:crypto';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { approvedTemplate } from '../support/templates';
import { waitFor } from '../support/wait';

const template = (to: string) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'template',
  template: { name: 'hello', language: { code: 'en' } },
});

/**
 * The per-number throughput holds for the platform, not per ingest replica: each replica counts
 * the live replicas (heartbeat rows) and enforces its share. A second replica is simulated by
 * its heartbeat row; the single real ingest must then admit about half.
 */
describe('rate limits shared across ingest replicas', () => {
  let p: PlatformHarness;
  const fakeReplica = randomUUID();

  beforeAll(async () => {
    p = await startPlatform();
    // A replica of an earlier test file that did not say goodbye stops counting after 15 s.
    await waitFor('ingest to count itself alone', async () => (await liveReplicas()) === 1, 30_000);
  });
  afterAll(async () => {
    await p?.sql(`DELETE FROM ingest.replicas WHERE id = $1`, [fakeReplica]).catch(() => undefined);
    await p?.close();
  });

  const liveReplicas = async () => {
    const metrics = await fetch(`${p.ingestUrl}/metrics`).then((r) => r.text());
    return Number(/^custody_live_replicas\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
  };
  const RATE = 40;
  /**
   * Sends a burst of `n` templates at once from a fresh number limited to RATE messages/s; counts
   * the 200s and 130429s and how long the burst took (tokens refill meanwhile).
   */
  const burst = async (n: number) => {
    const tenant = await p.newTenant({ messagesPerSecond: RATE });
    await approvedTemplate(p.ingestUrl, tenant, { name: 'hello', language: 'en' });
    const token = await tenant.token();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body: template(p.newCustomer()) }),
      ),
    );
    return {
      ok: results.filter((r) => r.status === 200).length,
      limited: results.filter((r) => r.body.error?.code === 130429).length,
      seconds: (Date.now() - started) / 1000,
    };
  };
  /** The most a bucket of `capacity` refilled at `perSecond` can admit in `seconds`. */
  const atMost = (capacity: number, perSecond: number, seconds: number) =>
    Math.floor(capacity + perSecond * seconds) + 1;

  it('one replica admits the number’s whole burst; with two live replicas it admits its half', async () => {
    const alone = await burst(100);
    expect(alone.ok).toBeGreaterThanOrEqual(RATE);
    expect(alone.ok).toBeLessThanOrEqual(atMost(RATE, RATE, alone.seconds));
    expect(alone.ok + alone.limited).toBe(100);

    await p.sql(`INSERT INTO ingest.replicas (id) VALUES ($1)`, [fakeReplica]);
    await waitFor('ingest to count two replicas', async () => (await liveReplicas()) === 2, 15_000);
    const shared = await burst(100);
    expect(shared.ok).toBeGreaterThanOrEqual(RATE / 2);
    expect(shared.ok).toBeLessThanOrEqual(atMost(RATE / 2, RATE / 2, shared.seconds));
    expect(shared.ok + shared.limited).toBe(100);
  });

  it('a replica that stops beating no longer counts', async () => {
    await p.sql(`UPDATE ingest.replicas SET last_seen = now() - interval '1 minute' WHERE id = $1`, [fakeReplica]);
    await waitFor('ingest to count one replica again', async () => (await liveReplicas()) === 1, 15_000);
    const alone = await burst(100);
    expect(alone.ok).toBeGreaterThanOrEqual(RATE);
  });
});
