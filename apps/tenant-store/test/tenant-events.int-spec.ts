import { Topics } from '@custody/contracts';
import { waitForMessage } from '@custody/testing';
import { startTenantStore, TenantStoreHarness } from '../../../test/support/tenant-store.harness';

describe('tenant-store publishes tenant changes through its outbox', () => {
  let ts: TenantStoreHarness;
  beforeAll(async () => {
    ts = await startTenantStore();
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('a created and then suspended tenant appears on custody.tenants.changed.v1, without its client secret', async () => {
    const tenant = await ts.newTenant();
    const created = await waitForMessage(Topics.TenantsChanged, (m) => m.key?.toString() === tenant.id);
    const event = JSON.parse(created.value!.toString());
    expect(event).toMatchObject({
      type: 'tenant.changed',
      tenantId: tenant.id,
      status: 'active',
      phoneNumbers: [expect.objectContaining({ phoneNumberId: tenant.phoneNumberId })],
    });
    // The webhook key travels to ingest (which signs webhooks); client credentials never do.
    expect(event.webhookAppSecret).toBe(tenant.appSecret);
    expect(created.value!.toString()).not.toContain(tenant.clientSecret);

    await ts.request('POST', `/v1/tenants/${tenant.id}/suspend`, { token: await ts.operatorToken() });
    const suspended = await waitForMessage(
      Topics.TenantsChanged,
      (m) => m.key?.toString() === tenant.id && JSON.parse(m.value!.toString()).status === 'suspended',
    );
    expect(suspended.headers?.['custody-tenant-id']?.toString()).toBe(tenant.id);
  });

  it('answers health and readiness (Kafka and PostgreSQL up), metrics and the OpenAPI document', async () => {
    expect((await ts.request('GET', '/health/live')).status).toBe(200);
    const ready = await ts.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'up', kafka: 'up' });
    const metrics = await ts.request('GET', '/metrics');
    expect(metrics.text).toContain('custody_http_request_duration_seconds');
    const doc = await ts.request('GET', '/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/tenants', '/v1/oauth/token', '/.well-known/jwks.json']),
    );
  });
});
