// The behaviour every DataKeyStore must have, run against MemoryDataKeyStore (unit) and
// SqlDataKeyStore over the real PostgreSQL (integration), so the two cannot drift apart.
import { randomBytes, randomUUID } from 'node:crypto';
import { asTenantId, TenantId } from '@custody/database';
import type { DataKeyRecord, DataKeyStore, NewDataKey } from '../data-key-store';

function newKey(tenantId: TenantId, version: number, masterKeyId = 'mk-a'): NewDataKey {
  return { tenantId, version, masterKeyId, wrappedKey: randomBytes(61) };
}

function newTenant(): TenantId {
  return asTenantId(randomUUID());
}

export function dataKeyStoreContract(getStore: () => DataKeyStore): void {
  let store: DataKeyStore;
  beforeEach(() => {
    store = getStore();
  });

  it('inserts version 1 once, and finds it as the active key', async () => {
    const tenant = newTenant();
    const first = newKey(tenant, 1);
    await expect(store.findActive(tenant)).resolves.toBeNull();
    await expect(store.insertFirst(first)).resolves.toBe(true);
    await expect(store.insertFirst(newKey(tenant, 1))).resolves.toBe(false);

    const active = (await store.findActive(tenant))!;
    expect(active.createdAt).toBeInstanceOf(Date);
    expect(active).toEqual({
      tenantId: tenant,
      version: 1,
      masterKeyId: 'mk-a',
      wrappedKey: first.wrappedKey,
      createdAt: active.createdAt,
      retiredAt: null,
      destroyedAt: null,
    } satisfies DataKeyRecord);
    await expect(store.findVersion(tenant, 1)).resolves.toEqual(active);
    await expect(store.findVersion(tenant, 2)).resolves.toBeNull();
  });

  it('lets exactly one of several racing first uses win', async () => {
    const tenant = newTenant();
    const results = await Promise.all([1, 2, 3, 4].map(() => store.insertFirst(newKey(tenant, 1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(store.listVersions(tenant)).resolves.toHaveLength(1);
  });

  it('rotates by compare-and-set: the old version retires, the next becomes active, a stale rotation is refused', async () => {
    const tenant = newTenant();
    await store.insertFirst(newKey(tenant, 1));
    await expect(store.rotate(tenant, 1, newKey(tenant, 2))).resolves.toBe(true);
    await expect(store.rotate(tenant, 1, newKey(tenant, 3))).resolves.toBe(false);

    expect((await store.findActive(tenant))!.version).toBe(2);
    const versions = await store.listVersions(tenant);
    expect(versions.map((v) => [v.version, v.retiredAt instanceof Date, v.destroyedAt])).toEqual([
      [1, true, null],
      [2, false, null],
    ]);
    expect(await store.insertFirst(newKey(tenant, 1))).toBe(false);
  });

  it('lets exactly one of two racing rotations win', async () => {
    const tenant = newTenant();
    await store.insertFirst(newKey(tenant, 1));
    const results = await Promise.all([
      store.rotate(tenant, 1, newKey(tenant, 2)),
      store.rotate(tenant, 1, newKey(tenant, 2)),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect((await store.listVersions(tenant)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('replaces a wrapping only if it is still under the expected master key', async () => {
    const tenant = newTenant();
    await store.insertFirst(newKey(tenant, 1, 'mk-old'));
    const rewrapped = randomBytes(61);
    await expect(
      store.replaceWrapping(tenant, 1, 'mk-other', { masterKeyId: 'mk-new', wrappedKey: rewrapped }),
    ).resolves.toBe(false);
    await expect(
      store.replaceWrapping(tenant, 1, 'mk-old', { masterKeyId: 'mk-new', wrappedKey: rewrapped }),
    ).resolves.toBe(true);
    await expect(
      store.replaceWrapping(tenant, 1, 'mk-old', { masterKeyId: 'mk-new', wrappedKey: randomBytes(61) }),
    ).resolves.toBe(false);
    expect(await store.findVersion(tenant, 1)).toMatchObject({ masterKeyId: 'mk-new', wrappedKey: rewrapped });
  });

  it('lists live keys not under a master key across tenants, in keyset pages', async () => {
    const master = `mk-${randomUUID().slice(0, 8)}`;
    const tenants = [newTenant(), newTenant(), newTenant()].sort();
    for (const tenant of tenants) {
      await store.insertFirst(newKey(tenant, 1, 'mk-old'));
      await store.rotate(tenant, 1, newKey(tenant, 2, 'mk-old'));
    }
    await store.insertFirst(newKey(newTenant(), 1, master));
    await store.destroy(tenants[2], [1]);

    const seen: string[] = [];
    let cursor = null;
    for (;;) {
      const page = await store.listNeedingRewrap(master, cursor, 2);
      page.forEach((r) => {
        expect(r.masterKeyId).not.toBe(master);
        expect(r.destroyedAt).toBeNull();
        if (tenants.includes(r.tenantId)) {
          seen.push(`${r.tenantId}/${r.version}`);
        }
      });
      if (page.length < 2) {
        break;
      }
      cursor = { tenantId: page[1].tenantId, version: page[1].version };
    }
    expect(seen).toEqual([
      `${tenants[0]}/1`,
      `${tenants[0]}/2`,
      `${tenants[1]}/1`,
      `${tenants[1]}/2`,
      `${tenants[2]}/2`,
    ]);
  });

  it('destroys chosen versions or all: the key material is gone, the tombstone stays, and it is idempotent', async () => {
    const tenant = newTenant();
    await store.insertFirst(newKey(tenant, 1));
    await store.rotate(tenant, 1, newKey(tenant, 2));
    await store.rotate(tenant, 2, newKey(tenant, 3));

    await expect(store.destroy(tenant, [1])).resolves.toBe(1);
    await expect(store.destroy(tenant, [1])).resolves.toBe(0);
    const destroyed = (await store.findVersion(tenant, 1))!;
    expect([destroyed.wrappedKey, destroyed.destroyedAt instanceof Date]).toEqual([null, true]);
    expect((await store.findActive(tenant))!.version).toBe(3);

    await expect(store.destroy(tenant, 'all')).resolves.toBe(2);
    await expect(store.findActive(tenant)).resolves.toBeNull();
    const versions = await store.listVersions(tenant);
    expect(
      versions.map((v) => [v.version, v.wrappedKey, v.destroyedAt instanceof Date, v.retiredAt instanceof Date]),
    ).toEqual([
      [1, null, true, true],
      [2, null, true, true],
      [3, null, true, true],
    ]);
    await expect(store.insertFirst(newKey(tenant, 1))).resolves.toBe(false);
    await expect(
      store.replaceWrapping(tenant, 3, 'mk-a', { masterKeyId: 'mk-b', wrappedKey: randomBytes(61) }),
    ).resolves.toBe(false);
  });

  it('purges one tenant and nothing of another', async () => {
    const [gone, kept] = [newTenant(), newTenant()];
    await store.insertFirst(newKey(gone, 1));
    await store.rotate(gone, 1, newKey(gone, 2));
    await store.insertFirst(newKey(kept, 1));
    await expect(store.purge(gone)).resolves.toBe(2);
    await expect(store.listVersions(gone)).resolves.toEqual([]);
    await expect(store.listVersions(kept)).resolves.toHaveLength(1);
  });
}
