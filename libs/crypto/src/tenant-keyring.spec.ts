import { DataKeyDestroyedError, DataKeyNotFoundError, KeyringStateError } from './errors';
import { LocalKeyProvider } from './local-key-provider';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { TenantKeyring } from './tenant-keyring';
import { FakeClock, keyFile, newTenant, pick, replica } from './testing/fixtures';

describe('TenantKeyring', () => {
  let clock: FakeClock;
  let store: MemoryDataKeyStore;
  const file = keyFile('mk-new', 'mk-old');

  beforeEach(() => {
    clock = new FakeClock();
    store = new MemoryDataKeyStore(clock.date);
  });

  describe('active key and cache', () => {
    it('creates version 1 on first use, once, even under concurrent first uses', async () => {
      const { keyring, provider } = replica(store, file, clock);
      const tenant = newTenant();
      const keys = await Promise.all(Array.from({ length: 10 }, () => keyring.activeKey(tenant)));
      expect(new Set(keys.map((k) => k.version))).toEqual(new Set([1]));
      expect(provider.wraps).toBe(1);
      expect(provider.unwraps).toBe(1);
      expect(await keyring.versions(tenant)).toEqual([
        {
          tenantId: tenant,
          version: 1,
          masterKeyId: 'mk-new',
          active: true,
          createdAt: clock.date(),
          retiredAt: null,
          destroyedAt: null,
        },
      ]);
    });

    it('lets two replicas racing on first use end up with the same key', async () => {
      const a = replica(store, file, clock);
      const b = replica(store, file, clock);
      const tenant = newTenant();
      const [ka, kb] = await Promise.all([a.keyring.activeKey(tenant), b.keyring.activeKey(tenant)]);
      expect(ka.version).toBe(1);
      expect(ka.key.equals(kb.key)).toBe(true);
      expect(await store.listVersions(tenant)).toHaveLength(1);
    });

    it('keeps unwrapped keys cached until the TTL, then asks the provider again', async () => {
      const { keyring, provider } = replica(store, file, clock, { cacheTtlMs: 1000, activeVersionTtlMs: 1000 });
      const tenant = newTenant();
      await keyring.activeKey(tenant);
      await keyring.activeKey(tenant);
      await keyring.keyByVersion(tenant, 1);
      expect(provider.unwraps).toBe(1);
      await keyring.activeKey(tenant, { fresh: true });
      expect(provider.unwraps).toBe(1);
      clock.advance(1000);
      await keyring.keyByVersion(tenant, 1);
      expect(provider.unwraps).toBe(2);
    });

    it('bounds the cache: the least recently used key is dropped', async () => {
      const { keyring, provider } = replica(store, file, clock, { cacheMaxEntries: 2 });
      const [t1, t2, t3] = [newTenant(), newTenant(), newTenant()];
      for (const t of [t1, t2, t3]) {
        await keyring.activeKey(t);
      }
      expect(provider.unwraps).toBe(3);
      await keyring.keyByVersion(t3, 1);
      await keyring.keyByVersion(t2, 1);
      expect(provider.unwraps).toBe(3);
      await keyring.keyByVersion(t1, 1);
      expect(provider.unwraps).toBe(4);
    });

    it('reports unknown versions', async () => {
      const { keyring } = replica(store, file, clock);
      const tenant = newTenant();
      await keyring.activeKey(tenant);
      await expect(keyring.keyByVersion(tenant, 2)).rejects.toThrow(new DataKeyNotFoundError(tenant, 2));
    });
  });

  describe('rotation', () => {
    it('makes a new active version; the old one retires and still unwraps', async () => {
      const { keyring } = replica(store, file, clock);
      const tenant = newTenant();
      const v1 = await keyring.activeKey(tenant);
      const rotated = await keyring.rotate(tenant);
      expect(rotated).toMatchObject({ version: 2, active: true, masterKeyId: 'mk-new' });
      const v2 = await keyring.activeKey(tenant);
      expect(v2.version).toBe(2);
      expect(v2.key.equals(v1.key)).toBe(false);
      expect((await keyring.keyByVersion(tenant, 1)).key.equals(v1.key)).toBe(true);
      expect((await keyring.versions(tenant)).map((v) => [v.version, v.active, v.retiredAt !== null])).toEqual([
        [1, false, true],
        [2, true, false],
      ]);
    });

    it('rotating a tenant without keys makes its first key', async () => {
      const { keyring } = replica(store, file, clock);
      await expect(keyring.rotate(newTenant())).resolves.toMatchObject({ version: 1, active: true });
    });

    it('concurrent rotations make one new version', async () => {
      const a = replica(store, file, clock);
      const b = replica(store, file, clock);
      const tenant = newTenant();
      await a.keyring.activeKey(tenant);
      const [ra, rb] = await Promise.all([a.keyring.rotate(tenant), b.keyring.rotate(tenant)]);
      expect([ra.version, rb.version]).toEqual([2, 2]);
      expect((await store.listVersions(tenant)).map((v) => v.version)).toEqual([1, 2]);
    });

    it('other replicas switch to the new version within activeVersionTtlMs', async () => {
      const a = replica(store, file, clock, { activeVersionTtlMs: 60_000 });
      const b = replica(store, file, clock, { activeVersionTtlMs: 60_000 });
      const tenant = newTenant();
      await b.keyring.activeKey(tenant);
      await a.keyring.rotate(tenant);
      expect((await b.keyring.activeKey(tenant)).version).toBe(1);
      expect((await b.keyring.activeKey(tenant, { fresh: true })).version).toBe(2);
      await a.keyring.rotate(tenant);
      expect((await b.keyring.activeKey(tenant)).version).toBe(2);
      clock.advance(60_000);
      expect((await b.keyring.activeKey(tenant)).version).toBe(3);
    });
  });

  describe('master key rotation', () => {
    it('rewraps every live data key under the new master key, in batches, and is a no-op when re-run', async () => {
      const old = replica(store, pick(file, 'mk-old'), clock);
      const tenants = [newTenant(), newTenant(), newTenant()];
      const before = new Map<string, Buffer>();
      for (const t of tenants) {
        before.set(`${t}/1`, (await old.keyring.activeKey(t)).key.export());
      }
      await old.keyring.rotate(tenants[0]);
      before.set(`${tenants[0]}/2`, (await old.keyring.activeKey(tenants[0])).key.export());
      await old.keyring.destroy(tenants[2]);

      const rotated = replica(store, file, clock);
      const progress: number[] = [];
      const result = await rotated.keyring.rewrapAll({
        batchSize: 2,
        onProgress: (p) => void progress.push(p.rewrapped),
      });
      expect(result).toMatchObject({ masterKeyId: 'mk-new', rewrapped: 3, failed: 0, failures: [] });
      expect(progress).toEqual([2, 3]);
      for (const t of tenants) {
        for (const record of await store.listVersions(t)) {
          expect(record.masterKeyId).toBe(record.destroyedAt ? 'mk-old' : 'mk-new');
        }
      }
      await expect(rotated.keyring.rewrapAll()).resolves.toMatchObject({ rewrapped: 0, failed: 0 });

      // With the old master key gone, every data key still unwraps, and is the same key.
      const onlyNew = new TenantKeyring(store, new LocalKeyProvider(pick(file, 'mk-new')));
      for (const [id, key] of before) {
        if (!id.startsWith(tenants[2])) {
          const [tenant, version] = id.split('/');
          expect((await onlyNew.keyByVersion(tenant as never, Number(version))).key.export()).toEqual(key);
        }
      }
    });

    it('reports and skips keys whose master key is unknown, and can stop and resume', async () => {
      const lost = replica(store, keyFile('mk-lost'), clock);
      const kept = replica(store, pick(file, 'mk-old'), clock);
      const tenants = [newTenant(), newTenant(), newTenant()].sort();
      await lost.keyring.activeKey(tenants[0]);
      await kept.keyring.activeKey(tenants[1]);
      await kept.keyring.activeKey(tenants[2]);

      const { keyring } = replica(store, file, clock);
      const controller = new AbortController();
      const first = await keyring.rewrapAll({
        batchSize: 1,
        onProgress: () => controller.abort(),
        signal: controller.signal,
      });
      expect(first).toMatchObject({ rewrapped: 0, failed: 1, cursor: { tenantId: tenants[0], version: 1 } });
      expect(first.failures).toEqual([
        {
          tenantId: tenants[0],
          version: 1,
          error: expect.stringContaining('master key "mk-lost" is not in the master key file'),
        },
      ]);
      const rest = await keyring.rewrapAll({ batchSize: 1, after: first.cursor });
      expect(rest).toMatchObject({ rewrapped: 2, failed: 0 });
    });
  });

  describe('destruction (crypto-shredding)', () => {
    it('destroys a retired version once no replica can still be encrypting with it', async () => {
      const { keyring } = replica(store, file, clock, { activeVersionTtlMs: 60_000 });
      const tenant = newTenant();
      await keyring.activeKey(tenant);
      await expect(keyring.destroyVersion(tenant, 1)).rejects.toThrow(
        new KeyringStateError(`data key v1 of tenant ${tenant} is active: rotate before destroying it`),
      );
      await keyring.rotate(tenant);
      await expect(keyring.destroyVersion(tenant, 1)).rejects.toThrow(/retired less than 60000 ms ago/);
      clock.advance(60_000);
      await keyring.destroyVersion(tenant, 1);
      await keyring.destroyVersion(tenant, 1);
      await expect(keyring.keyByVersion(tenant, 1)).rejects.toThrow(new DataKeyDestroyedError(tenant, 1));
      await expect(keyring.destroyVersion(tenant, 9)).rejects.toThrow(DataKeyNotFoundError);
      expect((await keyring.activeKey(tenant)).version).toBe(2);
    });

    it("destroys all of a tenant's keys: nothing unwraps, no new key is made, other tenants are untouched", async () => {
      const { keyring, provider } = replica(store, file, clock);
      const [gone, kept] = [newTenant(), newTenant()];
      await keyring.activeKey(gone);
      await keyring.rotate(gone);
      await keyring.activeKey(kept);
      await expect(keyring.destroy(gone)).resolves.toBe(2);
      await expect(keyring.destroy(gone)).resolves.toBe(0);

      expect((await store.listVersions(gone)).map((r) => r.wrappedKey)).toEqual([null, null]);
      const wraps = provider.wraps;
      await expect(keyring.activeKey(gone)).rejects.toThrow(new DataKeyDestroyedError(gone, null));
      await expect(keyring.rotate(gone)).rejects.toThrow(DataKeyDestroyedError);
      await expect(keyring.keyByVersion(gone, 2)).rejects.toThrow(new DataKeyDestroyedError(gone, 2));
      expect(provider.wraps).toBe(wraps);
      expect(await store.listVersions(gone)).toHaveLength(2);
      expect((await keyring.activeKey(kept)).version).toBe(1);

      await expect(keyring.purge(gone)).resolves.toBe(2);
      expect(await store.listVersions(gone)).toEqual([]);
    });

    it('another replica stops using a destroyed key when its cache expires', async () => {
      const a = replica(store, file, clock, { cacheTtlMs: 300_000 });
      const b = replica(store, file, clock, { cacheTtlMs: 300_000 });
      const tenant = newTenant();
      await b.keyring.keyByVersion(tenant, (await a.keyring.activeKey(tenant)).version);
      await a.keyring.destroy(tenant);
      await expect(b.keyring.keyByVersion(tenant, 1)).resolves.toBeDefined();
      clock.advance(300_000);
      await expect(b.keyring.keyByVersion(tenant, 1)).rejects.toThrow(DataKeyDestroyedError);
    });
  });
});
