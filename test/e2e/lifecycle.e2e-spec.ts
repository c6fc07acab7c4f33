import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { waitFor } from '../support/wait';

describe('tenant export and offboarding (real stack)', () => {
  let p: PlatformHarness;
  beforeAll(async () => {
    p = await startPlatform();
  });
  afterAll(async () => {
    await p?.close();
  });

  const lines = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('exports every conversation as streamed JSON Lines, resumable by cursor; offboarding then leaves no row of the tenant', async () => {
    const tenant = await p.newTenant();
    const customers = [p.newCustomer(), p.newCustomer(), p.newCustomer()];
    for (const waId of customers) {
      const res = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: { phoneNumberId: tenant.phoneNumberId, text: `hello from ${waId}` },
      });
      expect(res.body.ingestStatus).toBe(200);
    }
    await waitFor('three conversations with their notices', async () => {
      const rows = await p.sql(`SELECT count(*)::int AS n FROM tenant_store.messages WHERE tenant_id = $1`, [
        tenant.id,
      ]);
      return rows[0].n >= 6;
    });
    const token = await tenant.token();

    const all = await p.store.request('GET', '/v1/exports/conversations', { token });
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const full = lines(all.text);
    expect(full[0]).toMatchObject({ type: 'export', total: 3, after: null, custody: { e2e: false } });
    const conversations = full.filter((l) => l.type === 'conversation');
    expect(conversations.map((c) => c.customer).sort()).toEqual([...customers].sort());
    expect(
      conversations.every((c) => c.messages.some((m: any) => m.content?.body === `hello from ${c.customer}`)),
    ).toBe(true);
    expect(full.at(-1)).toEqual({ type: 'end', exported: 3, nextCursor: null });

    const firstTwo = lines((await p.store.request('GET', '/v1/exports/conversations?limit=2', { token })).text);
    const end = firstTwo.at(-1);
    expect(end).toMatchObject({ type: 'end', exported: 2, nextCursor: expect.any(String) });
    const rest = lines(
      (await p.store.request('GET', `/v1/exports/conversations?after=${end.nextCursor}`, { token })).text,
    );
    expect(rest[0]).toMatchObject({ type: 'export', total: 1 });
    expect([...firstTwo, ...rest].filter((l) => l.type === 'conversation').map((c) => c.id)).toEqual(
      conversations.map((c) => c.id),
    );
    expect((await p.store.request('GET', '/v1/exports/conversations?after=not-a-cursor', { token })).status).toBe(400);

    // The tenant's own trail shows no operator read yet; the operator's export is on it, with who and when.
    expect((await p.store.request('GET', '/v1/operator-access', { token })).body).toEqual({
      data: [],
      nextCursor: null,
    });
    const op = await p.store.operatorToken();
    const operatorExport = lines(
      (await p.store.request('GET', `/v1/tenants/${tenant.id}/export?limit=5`, { token: op })).text,
    );
    expect(operatorExport.at(-1)).toMatchObject({ exported: 3 });
    const trail = await p.store.request('GET', '/v1/operator-access', { token });
    expect(trail.status).toBe(200);
    expect(trail.body.data).toEqual([
      {
        id: expect.any(String),
        actor: expect.stringMatching(/^operator/),
        action: 'tenant.export',
        details: { limit: 5 },
        requestId: expect.any(String),
        at: expect.any(String),
      },
    ]);
    expect((await p.store.request('GET', '/v1/operator-access', { token: op })).status).toBe(403);

    const wrong = await p.store.request('DELETE', `/v1/tenants/${tenant.id}`, {
      token: op,
      body: { confirmBusinessAccountId: '1' },
    });
    expect(wrong.status).toBe(400);
    const report = await p.store.request('DELETE', `/v1/tenants/${tenant.id}`, {
      token: op,
      body: { confirmBusinessAccountId: tenant.businessAccountId },
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ tenantId: tenant.id, conversations: 3, dataKeysDestroyed: true });
    expect(report.body.messages).toBeGreaterThanOrEqual(6);

    for (const table of [
      'tenants',
      'phone_numbers',
      'client_credentials',
      'conversations',
      'messages',
      'message_statuses',
      'data_keys',
    ]) {
      const column = table === 'tenants' ? 'id' : 'tenant_id';
      const rows = await p.sql(`SELECT count(*)::int AS n FROM tenant_store.${table} WHERE ${column} = $1`, [
        tenant.id,
      ]);
      expect({ table, n: rows[0].n }).toEqual({ table, n: 0 });
    }
    await expect(tenant.token()).rejects.toThrow(/401/);
    await waitFor('ingest to stop routing the number', async () => {
      const rows = await p.sql(`SELECT 1 FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [
        tenant.phoneNumberId,
      ]);
      return rows.length === 0;
    });
    expect((await p.store.request('GET', `/v1/tenants/${tenant.id}`, { token: op })).status).toBe(404);
  });
});
