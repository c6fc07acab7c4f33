import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { KeyProviderError } from './errors';
import { MASTER_KEY_ID_PATTERN, MasterKeyEntry, MasterKeyFile, parseMasterKeyFile } from './local-key-provider';

/** A fresh master key id such as `mk-2026-11-3fa9`: dated for operators, with a suffix so two in a month differ. */
export function newMasterKeyId(now = new Date()): string {
  const month = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `mk-${now.getUTCFullYear()}-${month}-${randomBytes(2).toString('hex')}`;
}

/** A new master key entry: 32 bytes from the CSPRNG, base64. */
export function generateMasterKey(id = newMasterKeyId()): MasterKeyEntry {
  if (!MASTER_KEY_ID_PATTERN.test(id)) {
    throw new KeyProviderError(`master key id must match ${MASTER_KEY_ID_PATTERN.source}`);
  }
  return { id, key: randomBytes(32).toString('base64') };
}

function readKeyFile(path: string): MasterKeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyProviderError(`master key file ${path}: ${code ? `cannot read it (${code})` : 'not valid JSON'}`);
  }
  parseMasterKeyFile(parsed, `master key file ${path}`).forEach(({ key }) => key.fill(0));
  return parsed as MasterKeyFile;
}

/** Replaces the file atomically (write beside it, then rename), readable by its owner only. */
function writeKeyFile(path: string, file: MasterKeyFile, exclusive: boolean): void {
  const text = `${JSON.stringify(file, null, 2)}\n`;
  if (exclusive) {
    try {
      writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'write error';
      throw new KeyProviderError(
        `master key file ${path}: cannot create it (${code}${code === 'EEXIST' ? '; add a key to it instead' : ''})`,
      );
    }
    return;
  }
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}

/** Creates a key file with one new (active) master key. Refuses to overwrite. Returns the key ids, never keys. */
export function createMasterKeyFile(path: string, id = newMasterKeyId()): string[] {
  const file: MasterKeyFile = { keys: [generateMasterKey(id)] };
  writeKeyFile(path, file, true);
  return file.keys.map((k) => k.id);
}

/**
 * Adds a new master key. `activate: false` (the default) appends it, so every replica can unwrap
 * with it before any replica wraps with it: roll that out first, then `activateMasterKey`.
 */
export function addMasterKey(path: string, options: { id?: string; activate?: boolean } = {}): string[] {
  const file = readKeyFile(path);
  const entry = generateMasterKey(options.id ?? newMasterKeyId());
  if (file.keys.some((k) => k.id === entry.id)) {
    throw new KeyProviderError(`master key file ${path}: it already has a key "${entry.id}"`);
  }
  file.keys = options.activate ? [entry, ...file.keys] : [...file.keys, entry];
  writeKeyFile(path, file, false);
  return file.keys.map((k) => k.id);
}

/** Moves a key to the front: new data keys (and `rewrapAll`) wrap under it. */
export function activateMasterKey(path: string, id: string): string[] {
  const file = readKeyFile(path);
  const entry = file.keys.find((k) => k.id === id);
  if (!entry) {
    throw new KeyProviderError(`master key file ${path}: no key "${id}"`);
  }
  file.keys = [entry, ...file.keys.filter((k) => k !== entry)];
  writeKeyFile(path, file, false);
  return file.keys.map((k) => k.id);
}

/**
 * Removes a retired master key: only after `rewrapAll` left no data key under it
 * (`SELECT count(*) FROM data_keys WHERE master_key_id = $1 AND destroyed_at IS NULL` is 0).
 * Once it is gone, backups taken before the rewrap no longer unwrap either.
 */
export function removeMasterKey(path: string, id: string): string[] {
  const file = readKeyFile(path);
  if (file.keys[0]?.id === id) {
    throw new KeyProviderError(`master key file ${path}: "${id}" is the active key; activate another one first`);
  }
  if (!file.keys.some((k) => k.id === id)) {
    throw new KeyProviderError(`master key file ${path}: no key "${id}"`);
  }
  file.keys = file.keys.filter((k) => k.id !== id);
  writeKeyFile(path, file, false);
  return file.keys.map((k) => k.id);
}
