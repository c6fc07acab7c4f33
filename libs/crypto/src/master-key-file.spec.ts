import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeyProvider, MasterKeyFile } from './local-key-provider';
import {
  activateMasterKey,
  addMasterKey,
  createMasterKeyFile,
  generateMasterKey,
  newMasterKeyId,
  removeMasterKey,
} from './master-key-file';

describe('master key file helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custody-master-keys-'));
  const read = (path: string): MasterKeyFile => JSON.parse(readFileSync(path, 'utf8'));

  it('generates 32-byte keys under dated ids', () => {
    expect(newMasterKeyId(new Date('2026-11-03T10:00:00Z'))).toMatch(/^mk-2026-11-[0-9a-f]{4}$/);
    const entry = generateMasterKey('mk-test');
    expect(entry.id).toBe('mk-test');
    expect(Buffer.from(entry.key, 'base64')).toHaveLength(32);
    expect(generateMasterKey().key).not.toBe(entry.key);
    expect(() => generateMasterKey('bad id')).toThrow('master key id must match');
  });

  it('creates a file once, then adds (standby or active), activates and removes keys, keeping the old ones', async () => {
    const path = join(dir, 'keys.json');
    expect(createMasterKeyFile(path, 'mk-1')).toEqual(['mk-1']);
    expect(() => createMasterKeyFile(path, 'mk-9')).toThrow('cannot create it (EEXIST; add a key to it instead)');
    const original = read(path).keys[0];

    expect(addMasterKey(path, { id: 'mk-2' })).toEqual(['mk-1', 'mk-2']);
    expect(addMasterKey(path, { id: 'mk-3', activate: true })).toEqual(['mk-3', 'mk-1', 'mk-2']);
    expect(() => addMasterKey(path, { id: 'mk-2' })).toThrow('it already has a key "mk-2"');
    expect(activateMasterKey(path, 'mk-2')).toEqual(['mk-2', 'mk-3', 'mk-1']);
    expect(() => activateMasterKey(path, 'mk-7')).toThrow('no key "mk-7"');
    expect(() => removeMasterKey(path, 'mk-2')).toThrow('"mk-2" is the active key');
    expect(removeMasterKey(path, 'mk-3')).toEqual(['mk-2', 'mk-1']);

    expect(read(path).keys[1]).toEqual(original);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(LocalKeyProvider.fromFile(path).activeKeyId()).resolves.toBe('mk-2');
  });
});
