import { DataKeyDestroyedError, DataKeyNotFoundError, DecryptionError, isPermanentDecryptionError } from './errors';
import { DataKeyReceiver, distributeDataKeys, messageContentAad, WEBHOOK_APP_SECRET_AAD } from './key-distribution';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { FakeClock, keyFile, newTenant, replica } from './testing/fixtures';

/**
 * The owner (tenant-store) makes and rotates a tenant's keys; a service that receives them
 * (ingest, consent) keeps exactly what was distributed, seals and opens with them, and never makes one.
 */
describe('key distribution', () => {
  const file = keyFile('mk-1');
  let clock: FakeClock;
  let ownerStore: MemoryDataKeyStore;
  let edgeStore: MemoryDataKeyStore;

  beforeEach(() => {
    clock = new FakeClock();
    ownerStore = new MemoryDataKeyStore(clock.date);
    edgeStore = new MemoryDataKeyStore(clock.date);
  });

  const setUp = () => {
    const owner = replica(ownerStore, file, clock);
    const edge = replica(edgeStore, file, clock, { createKeys: false });
    const receiver = new DataKeyReceiver(edgeStore, edge.keyring);
    const distribute = async (tenant: ReturnType<typeof newTenant>) =>
      // Through JSON, as on the topic.
      JSON.parse(JSON.stringify(distributeDataKeys(await ownerStore.listVersions(tenant)))) as ReturnType<
        typeof distributeDataKeys
      >;
    return { owner, edge, receiver, distribute };
  };

  it('the edge seals with the distributed key what the owner opens (and the other way), one envelope for the whole content', async () => {
    const { owner, edge, receiver, distribute } = setUp();
    const tenant = newTenant();
    await owner.keyring.activeKey(tenant);
    await receiver.receive(tenant, await distribute(tenant));

    const content = { link: 'https://cdn.example.com/x.pdf', caption: 'the caption', filename: 'x.pdf' };
    const sealed = await edge.cipher.encryptJson(tenant, content, messageContentAad('wamid.one'));
    expect(sealed).not.toContain('caption');
    await expect(owner.cipher.decryptJson(tenant, sealed, messageContentAad('wamid.one'))).resolves.toEqual(content);
    // Bound to the message: another message id does not open it.
    await expect(owner.cipher.decryptJson(tenant, sealed, messageContentAad('wamid.two'))).rejects.toMatchObject({
      reason: 'authentication-failed',
    });
    const secret = await owner.cipher.encrypt(tenant, 'the app secret', WEBHOOK_APP_SECRET_AAD);
    await expect(edge.cipher.decryptString(tenant, secret, WEBHOOK_APP_SECRET_AAD)).resolves.toBe('the app secret');
    // No key material in what travels: only wrapped keys.
    const raw = (await owner.keyring.activeKey(tenant)).key.export();
    const travelled = JSON.stringify(await distribute(tenant));
    expect(travelled).not.toContain(raw.toString('base64'));
    expect(travelled).not.toContain(raw.toString('hex'));
  });

  it('a service that only receives keys never makes one: before they arrive, sealing fails and nothing is stored', async () => {
    const { edge } = setUp();
    const tenant = newTenant();
    await expect(edge.cipher.encryptJson(tenant, { body: 'x' }, messageContentAad('wamid.one'))).rejects.toBeInstanceOf(
      DataKeyNotFoundError,
    );
    expect(await edgeStore.listVersions(tenant)).toEqual([]);
    await expect(edge.keyring.rotate(tenant)).rejects.toThrow(/only uses distributed keys/);
  });

  it('follows a rotation: the new version seals at once on the replica that received it, the old one still opens', async () => {
    const { owner, edge, receiver, distribute } = setUp();
    const tenant = newTenant();
    await owner.keyring.activeKey(tenant);
    await receiver.receive(tenant, await distribute(tenant));
    const before = await edge.cipher.encryptJson(tenant, { body: 'old' }, messageContentAad('wamid.a'));

    await owner.keyring.rotate(tenant);
    await receiver.receive(tenant, await distribute(tenant));
    const after = await edge.cipher.encryptJson(tenant, { body: 'new' }, messageContentAad('wamid.b'));
    expect(after.split('.')[1]).toBe('2');
    await expect(owner.cipher.decryptJson(tenant, before, messageContentAad('wamid.a'))).resolves.toEqual({
      body: 'old',
    });
    await expect(edge.cipher.decryptJson(tenant, before, messageContentAad('wamid.a'))).resolves.toEqual({
      body: 'old',
    });
  });

  it('a destroyed version arrives as a tombstone, and a deleted tenant’s keys go: what they sealed no longer opens here', async () => {
    const { owner, edge, receiver, distribute } = setUp();
    const tenant = newTenant();
    await owner.keyring.activeKey(tenant);
    await receiver.receive(tenant, await distribute(tenant));
    const sealed = await edge.cipher.encryptJson(tenant, { body: 'x' }, messageContentAad('wamid.a'));

    await owner.keyring.rotate(tenant);
    clock.advance(120_000);
    await owner.keyring.destroyVersion(tenant, 1);
    const tombstoned = await distribute(tenant);
    expect(tombstoned[0]).toEqual(expect.objectContaining({ version: 1, destroyedAt: expect.any(String) }));
    expect(tombstoned[0].wrappedKey).toBeUndefined();
    await receiver.receive(tenant, tombstoned);
    const destroyed = await edge.cipher
      .decryptJson(tenant, sealed, messageContentAad('wamid.a'))
      .catch((e: unknown) => e);
    expect(destroyed).toBeInstanceOf(DecryptionError);
    expect((destroyed as DecryptionError).reason).toBe('key-destroyed');
    expect(isPermanentDecryptionError(destroyed)).toBe(true);

    const newer = await edge.cipher.encryptJson(tenant, { body: 'y' }, messageContentAad('wamid.b'));
    await receiver.receive(tenant, []);
    expect(await edgeStore.listVersions(tenant)).toEqual([]);
    const gone = await edge.cipher.decryptJson(tenant, newer, messageContentAad('wamid.b')).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(DecryptionError);
    expect((gone as DecryptionError).reason).toBe('unknown-key-version');
    expect(isPermanentDecryptionError(gone)).toBe(false);
  });

  it('an event that says nothing about keys (from before they were distributed) changes nothing', async () => {
    const { owner, edge, receiver, distribute } = setUp();
    const tenant = newTenant();
    await owner.keyring.activeKey(tenant);
    await receiver.receive(tenant, await distribute(tenant));
    await receiver.receive(tenant, undefined);
    expect(await edgeStore.listVersions(tenant)).toHaveLength(1);
    await expect(edge.keyring.activeKey(tenant)).resolves.toMatchObject({ version: 1 });
  });

  it('a tenant whose keys were all destroyed gets no new key at the edge either', async () => {
    const { owner, edge, receiver, distribute } = setUp();
    const tenant = newTenant();
    await owner.keyring.activeKey(tenant);
    await owner.keyring.destroy(tenant);
    await receiver.receive(tenant, await distribute(tenant));
    await expect(edge.keyring.activeKey(tenant)).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });
});
