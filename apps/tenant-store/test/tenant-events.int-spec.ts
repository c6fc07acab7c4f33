import { CIPHERTEXT_PATTERN, Topics } from '@custody/contracts';
import { WEBHOOK_APP_SECRET_AAD } from '@custody/crypto';
import type { TenantId } from '@custody/database';
import { waitForMessage } from '@custody/testing';
import { testCipher } from '../../../test/support/sealing';
import { startTenantStore, TenantStoreHarness } from '../../../test/support/tenant-store.harness';

describe('tenant-store publishes tenant changes through its outbox', () => {
  let ts: TenantStoreHarness;
  beforeAll(async () => {
    ts = await startTenantStore();
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('a created and then suspended tenant appears on custody.tenants.changed.v1 with its data keys wrapped and its app secret sealed, without its client secret', async () => {
    const tenant = await ts.newTenant();
    const created = await waitForMessage(Topics.TenantsChanged, (m) => m.key?.toString() === tenant.id);
    const event = JSON.parse(created.value!.toString());
    expect(event).toMatchObject({
      type: 'tenant.changed',
      tenantId: tenant.id,
      status: 'active',
      phoneNumbers: [expect.objectContaining({ phoneNumberId: tenant.phoneNumberId })],
    });
    // The webhook key travels to ingest (which signs webhooks), sealed under the tenant's data key,
    // with that key wrapped by the master key; client credentials never travel.
    expect(event.webhookAppSecret).toBeUndefined();
    expect(event.webhookAppSecretCiphertext).toMatch(CIPHERTEXT_PATTERN);
    expect(created.value!.toString()).not.toContain(tenant.appSecret);
    expect(created.value!.toString()).not.toContain(tenant.clientSecret);
    expect(event.dataKeys).toEqual([
      { version: 1, masterKeyId: 'mk-test', wrappedKey: expect.any(String), createdAt: expect.any(String) },
    ]);
    const opened = await testCipher().decryptString(
      tenant.id as TenantId,
      event.webhookAppSecretCiphertext,
      WEBHOOK_APP_SECRET_AAD,
    );
    expect(opened).toBe(tenant.appSecret);

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
