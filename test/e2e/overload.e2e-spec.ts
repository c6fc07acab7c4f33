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
 * Past its capacity ingest refuses new sends at once (503, Graph code 2) instead of queueing them
 * until clients time out; what it accepted is stored, what it refused is not. Capacity is made
 * tiny here (two sends waiting for the broker at once) so a burst of forty exceeds it.
 */
describe('overload: sends past capacity are refused at once, accepted ones all stored', () => {
  let p: PlatformHarness;

  beforeAll(async () => {
    p = await startPlatform({ ingestEnv: { INGEST_MAX_PENDING_SENDS: '2' } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('answers every send of a burst quickly, refuses the excess with code 2, and stores exactly the accepted', async () => {
    const tenant = await p.newTenant({ messagesPerSecond: 1000 });
    await approvedTemplate(p.ingestUrl, tenant, { name: 'hello', language: 'en' });
    const token = await tenant.token();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, { token, body: template(p.newCustomer()) }),
      ),
    );
    const accepted = results.filter((r) => r.status === 200).map((r) => r.body.messages[0].id as string);
    const refused = results.filter((r) => r.status === 503);
    expect(accepted.length + refused.length).toBe(40);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.error).toMatchObject({
        code: 2,
        message: 'Service temporarily unavailable',
        type: 'OAuthException',
      });
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const stored = await waitFor('the accepted sends stored', async () => {
      const rows = await p.sql<{ message_id: string }>(
        `SELECT message_id FROM tenant_store.messages WHERE tenant_id = $1 AND origin = 'business'`,
        [tenant.id],
      );
      return rows.length >= accepted.length ? rows : undefined;
    });
    expect(stored.map((r) => r.message_id).sort()).toEqual([...accepted].sort());
    const metrics = await fetch(`${p.ingestUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/custody_send_shed_total\{[^}]*reason="(in_flight|pending)"[^}]*\} [1-9]/);
  });
});
