import { randomUUID } from 'node:crypto';
import { ConversationKeyring, unwrapConversationKey, wrapConversationKey } from './conversation-keyring';
import { isConversationEnvelope, parseEnvelope } from './envelope';
import { DecryptionError, KeyProviderError, KeyringStateError } from './errors';
import { FieldCipher } from './field-cipher';
import { MemoryConversationKeyStore } from './memory-conversation-key-store';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { FakeClock, keyFile, newTenant, replica } from './testing/fixtures';

const aad = { messageId: 'wamid.1', field: 'content' };

function setup(clock = new FakeClock()) {
  const dataKeys = new MemoryDataKeyStore(clock.date);
  const file = keyFile('mk-1');
  const conversationStore = new MemoryConversationKeyStore();
  const make = () => {
    const r = replica(dataKeys, file, clock);
    const conversations = new ConversationKeyring(conversationStore, r.keyring, { now: clock.now, cacheTtlMs: 60_000 });
    return { ...r, conversations, cipher: new FieldCipher(r.keyring, conversations) };
  };
  return { dataKeys, conversationStore, make, clock };
}

describe('ConversationKeyring and v2 envelopes', () => {
  it('seals under the conversation key, opens on another replica, and keeps v1 envelopes readable', async () => {
    const { make } = setup();
    const a = make();
    const b = make();
    const tenant = newTenant();
    const conversation = randomUUID();
    const sealed = await a.cipher.encrypt(tenant, 'hello', aad, { conversationId: conversation });
    expect(isConversationEnvelope(sealed)).toBe(true);
    expect(await b.cipher.decryptString(tenant, sealed, aad)).toBe('hello');
    const v1 = await a.cipher.encrypt(tenant, 'old', aad);
    expect(v1.startsWith('v1.')).toBe(true);
    expect(await b.cipher.decryptString(tenant, v1, aad)).toBe('old');
  });

  it('asks the store once per conversation per cache lifetime, not per message', async () => {
    const { make, conversationStore, clock } = setup();
    const a = make();
    const tenant = newTenant();
    const conversation = randomUUID();
    for (let i = 0; i < 20; i++) {
      const sealed = await a.cipher.encrypt(tenant, `m${i}`, aad, { conversationId: conversation });
      await a.cipher.decrypt(tenant, sealed, aad);
    }
    expect(conversationStore.calls).toEqual({ current: 1, byId: 0, byIds: 0 });
    clock.advance(60_001);
    await a.cipher.encrypt(tenant, 'later', aad, { conversationId: conversation });
    expect(conversationStore.calls.current).toBe(2);
  });

  it('coalesces a burst of first contacts into one store call per event-loop turn', async () => {
    const { make, conversationStore } = setup();
    const a = make();
    const tenant = newTenant();
    const spy = jest.spyOn(conversationStore, 'currentMany');
    const sealed = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.cipher.encrypt(tenant, `m${i}`, aad, { conversationId: randomUUID() })),
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][1]).toHaveLength(50);
    expect(new Set(sealed.map((s) => parseEnvelope(s).conversationKeyId)).size).toBe(50);
    expect(await Promise.all(sealed.map((s) => make().cipher.decryptString(tenant, s, aad)))).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
  });

  it('gives concurrent first messages of a conversation one key', async () => {
    const { make } = setup();
    const a = make();
    const b = make();
    const tenant = newTenant();
    const conversation = randomUUID();
    const [x, y] = await Promise.all([
      a.cipher.encrypt(tenant, 'x', aad, { conversationId: conversation }),
      b.cipher.encrypt(tenant, 'y', aad, { conversationId: conversation }),
    ]);
    expect(parseEnvelope(x).conversationKeyId).toBe(parseEnvelope(y).conversationKeyId);
  });

  it('binds the ciphertext to tenant, message and field, and the key to its conversation', async () => {
    const { make } = setup();
    const a = make();
    const tenant = newTenant();
    const sealed = await a.cipher.encrypt(tenant, 'secret', aad, { conversationId: randomUUID() });
    await expect(a.cipher.decrypt(tenant, sealed, { ...aad, messageId: 'wamid.2' })).rejects.toMatchObject({
      reason: 'authentication-failed',
    });
    await expect(a.cipher.decrypt(newTenant(), sealed, aad)).rejects.toMatchObject({ reason: 'unknown-key-version' });
    const dataKey = (await a.keyring.activeKey(tenant)).key;
    const context = { tenantId: tenant, conversationId: randomUUID(), keyId: randomUUID(), dataKeyVersion: 1 };
    const wrapped = wrapConversationKey(dataKey, Buffer.alloc(32, 7), context);
    expect(unwrapConversationKey(dataKey, wrapped, context)).toEqual(Buffer.alloc(32, 7));
    expect(() => unwrapConversationKey(dataKey, wrapped, { ...context, conversationId: randomUUID() })).toThrow(
      KeyProviderError,
    );
  });

  it("shreds a customer's conversation: its envelopes no longer open anywhere, others do, and the next message gets a new generation", async () => {
    const { make, conversationStore } = setup();
    const owner = make();
    const other = make();
    const tenant = newTenant();
    const erased = randomUUID();
    const kept = randomUUID();
    const gone = await owner.cipher.encrypt(tenant, 'erase me', aad, { conversationId: erased });
    const stays = await owner.cipher.encrypt(tenant, 'keep me', aad, { conversationId: kept });
    expect(await other.cipher.decryptString(tenant, gone, aad)).toBe('erase me');

    expect(await owner.conversations.destroy(tenant, [erased])).toBe(1);
    other.conversations.evict(tenant, [erased]);
    for (const r of [owner, other, make()]) {
      await expect(r.cipher.decrypt(tenant, gone, aad)).rejects.toEqual(
        expect.objectContaining({ name: 'DecryptionError', reason: 'key-destroyed' }),
      );
      expect(await r.cipher.decryptString(tenant, stays, aad)).toBe('keep me');
    }
    const after = await other.cipher.encrypt(tenant, 'new message', aad, { conversationId: erased });
    expect(parseEnvelope(after).conversationKeyId).not.toBe(parseEnvelope(gone).conversationKeyId);
    const record = await conversationStore.byId(tenant, parseEnvelope(after).conversationKeyId!);
    expect(record?.generation).toBe(2);
    expect(await owner.cipher.decryptString(tenant, after, aad)).toBe('new message');
  });

  it('offboarding destroys every conversation key of the tenant and purges the rows', async () => {
    const { make, conversationStore } = setup();
    const a = make();
    const tenant = newTenant();
    const otherTenant = newTenant();
    const sealed = await a.cipher.encrypt(tenant, 'x', aad, { conversationId: randomUUID() });
    const unrelated = await a.cipher.encrypt(otherTenant, 'y', aad, { conversationId: randomUUID() });
    expect(await a.conversations.purge(tenant)).toBe(1);
    expect(await conversationStore.byId(tenant, parseEnvelope(sealed).conversationKeyId!)).toBeNull();
    await expect(a.cipher.decrypt(tenant, sealed, aad)).rejects.toBeInstanceOf(DecryptionError);
    expect(await a.cipher.decryptString(otherTenant, unrelated, aad)).toBe('y');
  });

  it('rewraps conversation keys under a rotated data key, so the old version can go without touching messages', async () => {
    const clock = new FakeClock();
    const { make } = setup(clock);
    const a = make();
    const tenant = newTenant();
    const sealed = await Promise.all(
      [1, 2, 3].map((i) => a.cipher.encrypt(tenant, `m${i}`, aad, { conversationId: randomUUID() })),
    );
    await a.keyring.rotate(tenant);
    expect(await a.conversations.countByDataKeyVersion(tenant)).toEqual(new Map([[1, 3]]));
    expect(await a.conversations.rewrap(tenant, { batchSize: 2 })).toEqual({
      dataKeyVersion: 2,
      rewrapped: 3,
      failed: 0,
    });
    expect(await a.conversations.countByDataKeyVersion(tenant)).toEqual(new Map([[2, 3]]));
    clock.advance(61_000);
    await a.keyring.destroyVersion(tenant, 1);
    const fresh = make();
    expect(await Promise.all(sealed.map((s) => fresh.cipher.decryptString(tenant, s, aad)))).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('prefetches the keys envelopes name in one call, so that sealing under them needs no further call', async () => {
    const { make, conversationStore } = setup();
    const edge = make();
    const store = make();
    const tenant = newTenant();
    const conversations = [randomUUID(), randomUUID(), randomUUID()];
    const sealed = await Promise.all(
      conversations.map((c) => edge.cipher.encrypt(tenant, 'first', aad, { conversationId: c })),
    );
    const before = { ...conversationStore.calls };
    await store.cipher.prefetchConversationKeys(tenant, [...sealed, 'not an envelope']);
    expect(conversationStore.calls).toEqual({ ...before, byIds: before.byIds + 1 });
    const notices = await Promise.all(
      conversations.map((c) => store.cipher.encrypt(tenant, 'notice', aad, { conversationId: c })),
    );
    expect(conversationStore.calls).toEqual({ ...before, byIds: before.byIds + 1 });
    notices.forEach((n, i) =>
      expect(parseEnvelope(n).conversationKeyId).toBe(parseEnvelope(sealed[i]).conversationKeyId),
    );
  });

  it('refuses a conversation scope without a conversation keyring', async () => {
    const { make } = setup();
    const plain = new FieldCipher(make().keyring);
    await expect(plain.encrypt(newTenant(), 'x', aad, { conversationId: randomUUID() })).rejects.toBeInstanceOf(
      KeyringStateError,
    );
  });
});
