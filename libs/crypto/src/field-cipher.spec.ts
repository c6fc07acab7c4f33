import { DataKeyDestroyedError, DecryptionError, KeyProviderError } from './errors';
import { keyVersionOf } from './envelope';
import { FieldCipher } from './field-cipher';
import { LocalKeyProvider } from './local-key-provider';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { TenantKeyring } from './tenant-keyring';
import { FakeClock, keyFile, newTenant, pick, replica } from './testing/fixtures';

describe('FieldCipher', () => {
  let clock: FakeClock;
  let store: MemoryDataKeyStore;
  let cipher: FieldCipher;
  let keyring: TenantKeyring;
  const file = keyFile('mk-new', 'mk-old');
  const body = { messageId: 'wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI', field: 'body' };
  const text = 'Your order #1234 ships tomorrow — reply STOP to opt out. 🚚';

  beforeEach(() => {
    clock = new FakeClock();
    store = new MemoryDataKeyStore(clock.date);
    ({ keyring, cipher } = replica(store, file, clock));
  });

  async function rejection(promise: Promise<unknown>): Promise<DecryptionError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }

  it('round-trips text and bytes in a compact, self-describing envelope', async () => {
    const tenant = newTenant();
    const envelope = await cipher.encrypt(tenant, text, body);
    expect(envelope).toMatch(/^v1\.1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(envelope).not.toContain(text.slice(0, 10));
    expect(keyVersionOf(envelope)).toBe(1);
    await expect(cipher.decryptString(tenant, envelope, body)).resolves.toBe(text);

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const sealed = await cipher.encrypt(tenant, bytes, { messageId: 'm-2', field: 'media_ref' });
    await expect(cipher.decrypt(tenant, sealed, { messageId: 'm-2', field: 'media_ref' })).resolves.toEqual(bytes);

    const empty = await cipher.encrypt(tenant, '', body);
    await expect(cipher.decryptString(tenant, empty, body)).resolves.toBe('');
  });

  it('uses a fresh IV every time: the same plaintext never gives the same envelope', async () => {
    const tenant = newTenant();
    const envelopes = await Promise.all(Array.from({ length: 50 }, () => cipher.encrypt(tenant, text, body)));
    expect(new Set(envelopes).size).toBe(50);
    expect(new Set(envelopes.map((e) => e.split('.')[2])).size).toBe(50);
  });

  describe('associated data: a ciphertext moved elsewhere does not decrypt', () => {
    it('to another message or another field', async () => {
      const tenant = newTenant();
      const envelope = await cipher.encrypt(tenant, text, body);
      const otherMessage = await rejection(cipher.decrypt(tenant, envelope, { ...body, messageId: 'wamid.other' }));
      expect(otherMessage.reason).toBe('authentication-failed');
      expect(otherMessage.message).toBe(
        `cannot decrypt field "body" of message wamid.other (tenant ${tenant}, key v1): it belongs to another tenant, message or field, or it was altered`,
      );
      expect((await rejection(cipher.decrypt(tenant, envelope, { ...body, field: 'caption' }))).reason).toBe(
        'authentication-failed',
      );
    });

    it('to another tenant, whether or not that tenant has a key of the same version', async () => {
      const [owner, other] = [newTenant(), newTenant()];
      const envelope = await cipher.encrypt(owner, text, body);
      const noKey = await rejection(cipher.decrypt(other, envelope, body));
      expect(noKey.reason).toBe('unknown-key-version');
      await cipher.encrypt(other, 'anything', body);
      const wrongKey = await rejection(cipher.decrypt(other, envelope, body));
      expect(wrongKey.reason).toBe('authentication-failed');
      expect(wrongKey.message).not.toContain(text);
    });
  });

  it('binds the tenant in the AAD itself, not only through its key (defence in depth)', async () => {
    // Even if two tenants ended up with the same key bytes, a ciphertext would not cross over.
    const shared = await keyring.activeKey(newTenant());
    const sameKeyForAll = { activeKey: () => Promise.resolve(shared), keyByVersion: () => Promise.resolve(shared) };
    const leaky = new FieldCipher(sameKeyForAll as unknown as TenantKeyring);
    const [owner, other] = [newTenant(), newTenant()];
    const envelope = await leaky.encrypt(owner, text, body);
    await expect(leaky.decryptString(owner, envelope, body)).resolves.toBe(text);
    expect((await rejection(leaky.decrypt(other, envelope, body))).reason).toBe('authentication-failed');
  });

  it('refuses any altered byte of IV, ciphertext or tag, and an altered header', async () => {
    const tenant = newTenant();
    const envelope = await cipher.encrypt(tenant, text, body);
    const [format, version, iv, sealed] = envelope.split('.');
    const flip = (b64: string, index: number): string => {
      const bytes = Buffer.from(b64, 'base64url');
      bytes[index] ^= 0x01;
      return bytes.toString('base64url');
    };
    const sealedLength = Buffer.from(sealed, 'base64url').length;
    const altered = [
      [format, version, flip(iv, 0), sealed],
      [format, version, flip(iv, 11), sealed],
      [format, version, iv, flip(sealed, 0)],
      [format, version, iv, flip(sealed, sealedLength - 17)],
      [format, version, iv, flip(sealed, sealedLength - 1)],
    ];
    for (const parts of altered) {
      expect((await rejection(cipher.decrypt(tenant, parts.join('.'), body))).reason).toBe('authentication-failed');
    }
    const truncated = Buffer.from(sealed, 'base64url').subarray(1).toString('base64url');
    expect((await rejection(cipher.decrypt(tenant, [format, version, iv, truncated].join('.'), body))).reason).toBe(
      'authentication-failed',
    );
    expect((await rejection(cipher.decrypt(tenant, [format, '2', iv, sealed].join('.'), body))).reason).toBe(
      'unknown-key-version',
    );
    await keyring.rotate(tenant);
    expect((await rejection(cipher.decrypt(tenant, [format, '2', iv, sealed].join('.'), body))).reason).toBe(
      'authentication-failed',
    );
    expect((await rejection(cipher.decrypt(tenant, `${envelope}x`, body))).reason).toBe('malformed');
    expect((await rejection(cipher.decrypt(tenant, text, body))).reason).toBe('malformed');
  });

  it('after rotation, new writes use the new version and old versions still decrypt', async () => {
    const tenant = newTenant();
    const before = await cipher.encrypt(tenant, 'old', body);
    await keyring.rotate(tenant);
    const after = await cipher.encrypt(tenant, 'new', body);
    expect([keyVersionOf(before), keyVersionOf(after)]).toEqual([1, 2]);
    await expect(cipher.decryptString(tenant, before, body)).resolves.toBe('old');
    await expect(cipher.decryptString(tenant, after, body)).resolves.toBe('new');
    await expect(cipher.activeVersion(tenant)).resolves.toBe(2);
  });

  it('after master rotation and rewrap, everything decrypts with the new master key alone', async () => {
    const old = replica(store, pick(file, 'mk-old'), clock);
    const tenant = newTenant();
    const envelope = await old.cipher.encrypt(tenant, text, body);
    await old.keyring.rotate(tenant);
    const newer = await old.cipher.encrypt(tenant, 'second', body);

    await replica(store, file, clock).keyring.rewrapAll();
    const onlyNew = new FieldCipher(new TenantKeyring(store, new LocalKeyProvider(pick(file, 'mk-new'))));
    await expect(onlyNew.decryptString(tenant, envelope, body)).resolves.toBe(text);
    await expect(onlyNew.decryptString(tenant, newer, body)).resolves.toBe('second');
  });

  it('once the keys are destroyed, ciphertexts are unrecoverable and nothing new is encrypted', async () => {
    const tenant = newTenant();
    const v1 = await cipher.encrypt(tenant, text, body);
    await keyring.rotate(tenant);
    const v2 = await cipher.encrypt(tenant, text, body);
    await keyring.destroy(tenant);

    // A fresh replica, with the same master key file and the same database, cannot decrypt either.
    const fresh = replica(store, file, clock).cipher;
    for (const c of [cipher, fresh]) {
      for (const envelope of [v1, v2]) {
        const error = await rejection(c.decrypt(tenant, envelope, body));
        expect(error.reason).toBe('key-destroyed');
        expect(error.cause).toBeInstanceOf(DataKeyDestroyedError);
      }
    }
    await expect(cipher.encrypt(tenant, text, body)).rejects.toThrow(DataKeyDestroyedError);
  });

  it('destroying one retired version shreds only what was encrypted under it', async () => {
    const tenant = newTenant();
    const v1 = await cipher.encrypt(tenant, 'one', body);
    await keyring.rotate(tenant);
    const v2 = await cipher.encrypt(tenant, 'two', body);
    clock.advance(60_000);
    await keyring.destroyVersion(tenant, 1);
    expect((await rejection(cipher.decrypt(tenant, v1, body))).reason).toBe('key-destroyed');
    await expect(cipher.decryptString(tenant, v2, body)).resolves.toBe('two');
  });

  it('a database copy with another master key (a dump without the mounted secret) reveals nothing', async () => {
    const tenant = newTenant();
    const envelope = await cipher.encrypt(tenant, text, body);
    const attacker = new FieldCipher(new TenantKeyring(store, new LocalKeyProvider(keyFile('mk-new', 'mk-old'))));
    await expect(attacker.decrypt(tenant, envelope, body)).rejects.toThrow(KeyProviderError);
  });

  it('requires a message id and a field', async () => {
    const tenant = newTenant();
    await expect(cipher.encrypt(tenant, text, { messageId: '', field: 'body' })).rejects.toThrow(TypeError);
    await expect(cipher.encrypt(tenant, text, { messageId: 'm', field: '' })).rejects.toThrow(TypeError);
    await expect(cipher.decrypt(tenant, 'v1.1.x.y', undefined as never)).rejects.toThrow(TypeError);
  });
});
