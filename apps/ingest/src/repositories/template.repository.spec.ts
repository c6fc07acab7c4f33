import { TenantDb, TenantId } from '@custody/database';
import { catalogKey, TemplateRepository } from './template.repository';

const TENANT = '00000000-0000-4000-8000-000000000001' as TenantId;

/** A fake database whose catalog reads the test answers by hand (the order of events is the point). */
function fakeDb() {
  const reads: Array<(rows: Array<Record<string, unknown>>) => void> = [];
  const db = {
    forTenant: (_tenant: TenantId, work: (m: { query: () => Promise<unknown> }) => Promise<unknown>) =>
      work({ query: () => new Promise((resolve) => reads.push(resolve)) }),
  } as unknown as TenantDb;
  return { db, reads };
}

const row = (status: string) => ({
  id: '100000000000001',
  business_account_id: '200000000000001',
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [{ type: 'BODY', text: 'Your order is on its way' }],
  status,
  rejected_reason: null,
});
const key = catalogKey('200000000000001', 'order_update', 'en_US');
const flush = () => new Promise((r) => setImmediate(r));

describe('TemplateRepository catalog cache', () => {
  it('does not keep a catalog whose read began before an invalidation (a pause applies at once)', async () => {
    const { db, reads } = fakeDb();
    const repo = new TemplateRepository(db);
    // A send starts loading the catalog: its read sees the template still APPROVED…
    const stale = repo.catalogFor(TENANT) as Promise<ReadonlyMap<string, { status: string }>>;
    await flush();
    expect(reads).toHaveLength(1);
    // …the template is paused (committed) and this replica drops its catalog…
    repo.invalidate(TENANT);
    // …then the old read answers.
    reads[0]([row('APPROVED')]);
    expect((await stale).get(key)?.status).toBe('APPROVED');

    // The next send must read again, not reuse the catalog that read before the pause.
    const next = repo.catalogFor(TENANT);
    expect(next).toBeInstanceOf(Promise);
    await flush();
    expect(reads).toHaveLength(2);
    reads[1]([row('PAUSED')]);
    expect((await next).get(key)?.status).toBe('PAUSED');
    // And that one is kept.
    expect((repo.catalogFor(TENANT) as ReadonlyMap<string, { status: string }>).get(key)?.status).toBe('PAUSED');
  });

  it('an invalidation during a load does not let the old load share its result with later sends', async () => {
    const { db, reads } = fakeDb();
    const repo = new TemplateRepository(db);
    const first = repo.catalogFor(TENANT);
    await flush();
    repo.invalidate(TENANT);
    // A send after the change starts its own read rather than waiting for the old one.
    const second = repo.catalogFor(TENANT);
    expect(second).not.toBe(first);
    await flush();
    expect(reads).toHaveLength(2);
    reads[1]([row('PAUSED')]);
    reads[0]([row('APPROVED')]);
    expect((await second).get(key)?.status).toBe('PAUSED');
    await first;
    // The old load finishing neither replaces the newer catalog nor drops the newer load.
    expect((repo.catalogFor(TENANT) as ReadonlyMap<string, { status: string }>).get(key)?.status).toBe('PAUSED');
  });

  it('concurrent sends share one read', async () => {
    const { db, reads } = fakeDb();
    const repo = new TemplateRepository(db);
    const a = repo.catalogFor(TENANT);
    const b = repo.catalogFor(TENANT);
    expect(a).toBe(b);
    await flush();
    expect(reads).toHaveLength(1);
    reads[0]([row('APPROVED')]);
    expect((await a).get(key)?.status).toBe('APPROVED');
    expect(repo.catalogFor(TENANT)).not.toBeInstanceOf(Promise);
  });
});
