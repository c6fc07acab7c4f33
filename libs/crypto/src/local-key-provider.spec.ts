import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KeyProviderError } from './errors';
import { LocalKeyProvider } from './local-key-provider';
import { createMasterKeyFile } from './master-key-file';
import { keyFile, pick } from './testing/fixtures';

const tenant = '0b0e4a4c-4a8e-4f0e-9a53-0d6f4f2b9c11';
const other = '5f1f3d52-3a8e-4a8f-9a6b-2c2b1d6f7e22';
const dataKey = Buffer.alloc(32, 7);

describe('LocalKeyProvider', () => {
  const file = keyFile('mk-2026-11', 'mk-2026-05');

  it('wraps with the first key and unwraps what it wrapped', async () => {
    const provider = new LocalKeyProvider(file);
    await expect(provider.activeKeyId()).resolves.toBe('mk-2026-11');
    expect(provider.keyIds).toEqual(['mk-2026-11', 'mk-2026-05']);

    const { keyId, wrapped } = await provider.wrap(dataKey, { tenantId: tenant, keyVersion: 1 });
    expect(keyId).toBe('mk-2026-11');
    expect(wrapped).toHaveLength(61);
    expect(wrapped.includes(dataKey)).toBe(false);
    await expect(provider.unwrap(wrapped, keyId, { tenantId: tenant, keyVersion: 1 })).resolves.toEqual(dataKey);
  });

  it('unwraps with every key of the file, not only the active one', async () => {
    const old = new LocalKeyProvider(pick(file, 'mk-2026-05'));
    const { keyId, wrapped } = await old.wrap(dataKey, { tenantId: tenant, keyVersion: 3 });
    expect(keyId).toBe('mk-2026-05');
    await expect(
      new LocalKeyProvider(file).unwrap(wrapped, keyId, { tenantId: tenant, keyVersion: 3 }),
    ).resolves.toEqual(dataKey);
  });

  it('binds the tenant and version: a wrapped key moved to another tenant or version does not unwrap', async () => {
    const provider = new LocalKeyProvider(file);
    const { keyId, wrapped } = await provider.wrap(dataKey, { tenantId: tenant, keyVersion: 1 });
    await expect(provider.unwrap(wrapped, keyId, { tenantId: other, keyVersion: 1 })).rejects.toThrow(
      new KeyProviderError(
        `cannot unwrap data key v1 of tenant ${other} with master key "mk-2026-11": the wrapped key, its tenant or version was altered, or the key file holds a different key under that id`,
      ),
    );
    await expect(provider.unwrap(wrapped, keyId, { tenantId: tenant, keyVersion: 2 })).rejects.toThrow(
      KeyProviderError,
    );
  });

  it('refuses a tampered wrapped key, a wrong master key id and a key file with other key material under the same id', async () => {
    const provider = new LocalKeyProvider(file);
    const context = { tenantId: tenant, keyVersion: 1 };
    const { keyId, wrapped } = await provider.wrap(dataKey, context);
    for (const index of [0, 5, 20, 60]) {
      const tampered = Buffer.from(wrapped);
      tampered[index] ^= 0x01;
      await expect(provider.unwrap(tampered, keyId, context)).rejects.toThrow(KeyProviderError);
    }
    await expect(provider.unwrap(wrapped.subarray(0, 60), keyId, context)).rejects.toThrow(
      'not a wrapped key of format 1',
    );
    await expect(provider.unwrap(wrapped, 'mk-2026-05', context)).rejects.toThrow(KeyProviderError);
    await expect(provider.unwrap(wrapped, 'mk-1999-01', context)).rejects.toThrow(
      'master key "mk-1999-01" is not in the master key file (it has mk-2026-11, mk-2026-05)',
    );
    const impostor = new LocalKeyProvider(keyFile('mk-2026-11'));
    await expect(impostor.unwrap(wrapped, keyId, context)).rejects.toThrow(KeyProviderError);
  });

  it('refuses data keys that are not 32 bytes', async () => {
    await expect(
      new LocalKeyProvider(file).wrap(Buffer.alloc(16), { tenantId: tenant, keyVersion: 1 }),
    ).rejects.toThrow('a data key must be 32 bytes, got 16');
  });

  it('never shows key material in inspect, JSON or string form', () => {
    const provider = new LocalKeyProvider(file);
    const shown = [inspect(provider, { showHidden: true, depth: 10 }), JSON.stringify(provider)].join('\n');
    expect(shown).toContain('mk-2026-11');
    for (const { key } of file.keys) {
      expect(shown).not.toContain(key);
      expect(shown).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
  });

  describe('key file validation (errors name the entry, never the key)', () => {
    const good = keyFile('mk-a').keys[0].key;
    const cases: Array<[string, unknown, string]> = [
      ['not an object', 'nope', 'expected an object { "keys": [{ "id", "key" }] }'],
      ['no keys', { keys: [] }, '"keys" is empty'],
      ['an entry that is not an object', { keys: [42] }, 'keys[0] must be an object'],
      ['a bad id', { keys: [{ id: 'has space', key: good }] }, 'keys[0]: "id" must match'],
      [
        'a duplicate id',
        {
          keys: [
            { id: 'mk-a', key: good },
            { id: 'mk-a', key: good },
          ],
        },
        'keys[1]: duplicate id "mk-a"',
      ],
      [
        'a key that is not base64',
        { keys: [{ id: 'mk-a', key: `${good}!` }] },
        'keys[0] ("mk-a"): "key" must be a base64 string',
      ],
      [
        'a short key',
        { keys: [{ id: 'mk-a', key: good.slice(0, 40) }] },
        'keys[0] ("mk-a"): "key" must decode to 32 bytes, got 30',
      ],
      [
        'a long key',
        { keys: [{ id: 'mk-a', key: Buffer.alloc(48, 1).toString('base64') }] },
        'must decode to 32 bytes, got 48',
      ],
    ];
    it.each(cases)('refuses %s', (_name, value, message) => {
      let error: unknown;
      try {
        new LocalKeyProvider(value as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(KeyProviderError);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain(good.slice(0, 20));
    });
  });

  describe('fromFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custody-crypto-'));

    it('reads a file made by createMasterKeyFile (mode 0600)', async () => {
      const path = join(dir, 'master-keys.json');
      expect(createMasterKeyFile(path, 'mk-2026-11')).toEqual(['mk-2026-11']);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const provider = LocalKeyProvider.fromFile(path);
      await expect(provider.activeKeyId()).resolves.toBe('mk-2026-11');
    });

    it('says which file is missing', () => {
      expect(() => LocalKeyProvider.fromFile(join(dir, 'absent.json'))).toThrow(
        new KeyProviderError(`master key file ${join(dir, 'absent.json')}: cannot read it (ENOENT)`),
      );
    });

    it('does not echo a file that is not JSON (JSON.parse would quote the key)', () => {
      const path = join(dir, 'broken.json');
      const secret = keyFile('mk-a').keys[0].key;
      writeFileSync(path, `{ "keys": [{ "id": "mk-a", "key": "${secret}" ]`);
      expect(() => LocalKeyProvider.fromFile(path)).toThrow(
        new KeyProviderError(`master key file ${path}: not valid JSON`),
      );
    });

    it('names the file in validation errors', () => {
      const path = join(dir, 'empty.json');
      writeFileSync(path, '{"keys":[]}');
      expect(() => LocalKeyProvider.fromFile(path)).toThrow(`master key file ${path}: "keys" is empty`);
    });
  });

  it('makes ephemeral providers for tests and benchmarks', async () => {
    const provider = LocalKeyProvider.ephemeral(['mk-x', 'mk-y']);
    expect(provider.keyIds).toEqual(['mk-x', 'mk-y']);
    const { keyId, wrapped } = await provider.wrap(dataKey, { tenantId: tenant, keyVersion: 1 });
    await expect(provider.unwrap(wrapped, keyId, { tenantId: tenant, keyVersion: 1 })).resolves.toEqual(dataKey);
  });
});
