import { CustomerIdentity, customerNumberAad, CUSTOMER_REF_SHAPE } from './customer-identity';
import {
  CustomerIndexKeys,
  distributeCustomerIndexKey,
  MemoryCustomerIndexKeyStore,
  receivedCustomerIndexKey,
} from './customer-index';
import { DataKeyDestroyedError, DataKeyNotFoundError, DecryptionError, KeyProviderError } from './errors';
import { LocalKeyProvider } from './local-key-provider';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { CountingProvider, keyFile, newTenant, pick, replica } from './testing/fixtures';

describe('CustomerIdentity and CustomerIndexKeys', () => {
  const file = keyFile('mk-2', 'mk-1');
  const waId = '15550001234';

  function owner(store = new MemoryCustomerIndexKeyStore(), keys = file) {
    const { cipher, keyring } = replica(new MemoryDataKeyStore(), keys);
    const provider = new CountingProvider(new LocalKeyProvider(keys));
    const indexKeys = new CustomerIndexKeys(store, provider);
    return { store, indexKeys, provider, cipher, keyring, identity: new CustomerIdentity(indexKeys, cipher) };
  }

  it('gives a stable, keyed reference per tenant that does not show the number', async () => {
    const { identity } = owner();
    const tenant = newTenant();
    const ref = await identity.ref(tenant, waId);
    expect(ref).toMatch(CUSTOMER_REF_SHAPE);
    expect(ref).not.toContain(waId);
    await expect(identity.ref(tenant, waId)).resolves.toBe(ref);
    await expect(identity.ref(tenant, '15550001235')).resolves.not.toBe(ref);
    // Another tenant (another key) gives another reference for the same number.
    await expect(identity.ref(newTenant(), waId)).resolves.not.toBe(ref);
    // Another deployment with the same tenant id but its own key too: the ref is keyed, not a hash.
    await expect(owner().identity.ref(tenant, waId)).resolves.not.toBe(ref);
    await expect(identity.matches(tenant, ref, waId)).resolves.toBe(true);
    await expect(identity.matches(tenant, ref, '15550001235')).resolves.toBe(false);
  });

  it('refuses what is not a normalized wa_id', async () => {
    const { identity } = owner();
    for (const bad of ['+15550001234', '1555 000 1234', '12345', '1'.repeat(21), '']) {
      await expect(identity.ref(newTenant(), bad)).rejects.toThrow(TypeError);
    }
  });

  it('seals the number bound to tenant and reference, and opens it', async () => {
    const { identity, cipher } = owner();
    const tenant = newTenant();
    const sealed = await identity.identify(tenant, waId);
    expect(sealed.waIdCiphertext).not.toContain(waId);
    await expect(identity.open(tenant, sealed.ref, sealed.waIdCiphertext)).resolves.toBe(waId);
    // Copied to another customer's row: does not open.
    const other = await identity.ref(tenant, '15550009999');
    await expect(identity.open(tenant, other, sealed.waIdCiphertext)).rejects.toThrow(DecryptionError);
    // Or to another tenant.
    await expect(identity.open(newTenant(), sealed.ref, sealed.waIdCiphertext)).rejects.toThrow();
    await expect(cipher.decryptString(tenant, sealed.waIdCiphertext, customerNumberAad(sealed.ref))).resolves.toBe(
      waId,
    );
    const resealed = await identity.reseal(tenant, sealed.ref, sealed.waIdCiphertext);
    expect(resealed).not.toBe(sealed.waIdCiphertext);
    await expect(identity.open(tenant, sealed.ref, resealed)).resolves.toBe(waId);
  });

  it('makes the key once on the owner, caches it, and a user that only receives keys never makes one', async () => {
    const { identity, indexKeys, provider, store } = owner();
    const tenant = newTenant();
    await Promise.all([identity.ref(tenant, waId), identity.ref(tenant, waId), indexKeys.ensure(tenant)]);
    expect(provider.wraps).toBe(1);
    expect(provider.unwraps).toBe(1);
    await identity.ref(tenant, '15550001111');
    expect(provider.unwraps).toBe(1);

    const userStore = new MemoryCustomerIndexKeyStore();
    const user = new CustomerIndexKeys(userStore, new LocalKeyProvider(file), { createKeys: false });
    await expect(user.key(newTenant())).rejects.toThrow(DataKeyNotFoundError);
    expect(await userStore.find(tenant)).toBeNull();

    // Distributed (wrapped, as on the tenants topic), the user derives the same references.
    const record = (await store.find(tenant))!;
    const onTopic = JSON.parse(JSON.stringify(distributeCustomerIndexKey(record)));
    expect(JSON.stringify(onTopic)).not.toContain('"key"');
    await user.receive(tenant, onTopic);
    const userIdentity = new CustomerIdentity(user, replica(new MemoryDataKeyStore(), file).cipher);
    await expect(userIdentity.ref(tenant, waId)).resolves.toBe(await identity.ref(tenant, waId));
    // `undefined` (an older event) changes nothing; `null` (tenant gone) removes it.
    await user.receive(tenant, undefined);
    await expect(user.key(tenant)).resolves.toBeDefined();
    await user.receive(tenant, null);
    await expect(user.key(tenant)).rejects.toThrow(DataKeyNotFoundError);
  });

  it('is wrapped under its own key context: a data key wrapping does not unwrap as the index key', async () => {
    const { store, indexKeys, keyring } = owner();
    const tenant = newTenant();
    await keyring.activeKey(tenant);
    await indexKeys.ensure(tenant);
    const record = (await store.find(tenant))!;
    const provider = new LocalKeyProvider(file);
    await expect(
      provider.unwrap(record.wrappedKey!, record.masterKeyId, { tenantId: tenant, keyVersion: 1 }),
    ).rejects.toThrow(KeyProviderError);
  });

  it('is crypto-shredded with the tenant and never made again', async () => {
    const { identity, indexKeys, store } = owner();
    const tenant = newTenant();
    const sealed = await identity.identify(tenant, waId);
    await expect(indexKeys.destroy(tenant)).resolves.toBe(1);
    await expect(indexKeys.destroy(tenant)).resolves.toBe(0);
    await expect(identity.ref(tenant, waId)).rejects.toThrow(DataKeyDestroyedError);
    expect((await store.find(tenant))!.wrappedKey).toBeNull();
    // A tombstone travels as one.
    const tomb = distributeCustomerIndexKey((await store.find(tenant))!);
    expect(tomb.wrappedKey).toBeUndefined();
    expect(receivedCustomerIndexKey(tenant, tomb).wrappedKey).toBeNull();
    await expect(indexKeys.purge(tenant)).resolves.toBe(1);
    expect(sealed.ref).toMatch(CUSTOMER_REF_SHAPE);
  });

  it('moves under a new master key without changing references', async () => {
    const oldOnly = pick(file, 'mk-1');
    const store = new MemoryCustomerIndexKeyStore();
    const before = new CustomerIndexKeys(store, new LocalKeyProvider(oldOnly));
    const tenants = [newTenant(), newTenant(), newTenant()];
    const { cipher } = replica(new MemoryDataKeyStore(), file);
    const refs = await Promise.all(tenants.map((t) => new CustomerIdentity(before, cipher).ref(t, waId)));

    const rotating = new CustomerIndexKeys(store, new LocalKeyProvider(file));
    await expect(rotating.rewrapAll({ batchSize: 2 })).resolves.toEqual({ rewrapped: 3, failed: 0 });
    await expect(rotating.rewrapAll()).resolves.toEqual({ rewrapped: 0, failed: 0 });
    const newOnly = new CustomerIndexKeys(store, new LocalKeyProvider(pick(file, 'mk-2')));
    const after = await Promise.all(tenants.map((t) => new CustomerIdentity(newOnly, cipher).ref(t, waId)));
    expect(after).toEqual(refs);
  });
});
