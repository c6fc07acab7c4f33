import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { KeyProviderError } from './errors';
import { KeyContext, KeyProvider, WrappedDataKey } from './key-provider';

/** One master key in the key file: `key` is 32 random bytes, base64. */
export interface MasterKeyEntry {
  id: string;
  key: string;
}

/** The mounted secret: `{ "keys": [{ "id": "mk-2026-11", "key": "<base64>" }] }`. The first key is active. */
export interface MasterKeyFile {
  keys: MasterKeyEntry[];
}

export const MASTER_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const WRAP_FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const WRAPPED_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/**
 * Validates a parsed key file and returns the decoded keys in file order. Errors name the entry
 * by index and id, never its value.
 */
export function parseMasterKeyFile(value: unknown, source = 'master key file'): Array<{ id: string; key: Buffer }> {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new KeyProviderError(`${source}: expected an object { "keys": [{ "id", "key" }] }`);
  }
  const entries = (value as { keys: unknown[] }).keys;
  if (entries.length === 0) {
    throw new KeyProviderError(`${source}: "keys" is empty; the first key is the active master key`);
  }
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const where = `${source}: keys[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      throw new KeyProviderError(`${where} must be an object { "id", "key" }`);
    }
    const { id, key } = entry as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || !MASTER_KEY_ID_PATTERN.test(id)) {
      throw new KeyProviderError(`${where}: "id" must match ${MASTER_KEY_ID_PATTERN.source}`);
    }
    if (seen.has(id)) {
      throw new KeyProviderError(`${where}: duplicate id "${id}"`);
    }
    seen.add(id);
    if (typeof key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
      throw new KeyProviderError(`${where} ("${id}"): "key" must be a base64 string`);
    }
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== DATA_KEY_BYTES) {
      bytes.fill(0);
      throw new KeyProviderError(`${where} ("${id}"): "key" must decode to 32 bytes, got ${bytes.length}`);
    }
    return { id, key: bytes };
  });
}

/** Associated data of a wrapped data key: the master key id, the tenant and the data key version. */
function wrapAad(keyId: string, context: KeyContext): Buffer {
  return Buffer.from(JSON.stringify(['custody.data-key.v1', keyId, context.tenantId, context.keyVersion]), 'utf8');
}

/**
 * Master keys from a mounted secret, for one machine or a cluster without a KMS. Wraps with
 * AES-256-GCM (fresh 96-bit IV; the master key id, tenant id and key version as AAD) into
 * `0x01 | iv(12) | wrapped key(32) | tag(16)`. The first key wraps; every key in the file unwraps.
 *
 * Key material lives in KeyObjects in a private field: it does not show in logs, `inspect` or JSON.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly #keys = new Map<string, KeyObject>();
  readonly #activeId: string;

  constructor(file: MasterKeyFile, source = 'master key file') {
    for (const { id, key } of parseMasterKeyFile(file, source)) {
      this.#keys.set(id, createSecretKey(key));
      key.fill(0);
    }
    this.#activeId = [...this.#keys.keys()][0];
  }

  /** Reads the mounted secret (MASTER_KEY_FILE) once; restart (or construct anew) to pick up a changed file. */
  static fromFile(path: string): LocalKeyProvider {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      throw new KeyProviderError(`master key file ${path}: cannot read it (${code})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the input, which is key material: say only where.
      throw new KeyProviderError(`master key file ${path}: not valid JSON`);
    }
    return new LocalKeyProvider(parsed as MasterKeyFile, `master key file ${path}`);
  }

  /** Random master keys that live only in this process: for tests and benchmarks. */
  static ephemeral(ids: string[] = ['mk-ephemeral']): LocalKeyProvider {
    return new LocalKeyProvider(
      { keys: ids.map((id) => ({ id, key: randomBytes(32).toString('base64') })) },
      'ephemeral keys',
    );
  }

  /** The ids this provider can unwrap with, active first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  activeKeyId(): Promise<string> {
    return Promise.resolve(this.#activeId);
  }

  wrap(dataKey: Buffer, context: KeyContext): Promise<WrappedDataKey> {
    if (dataKey.length !== DATA_KEY_BYTES) {
      return Promise.reject(new KeyProviderError(`a data key must be 32 bytes, got ${dataKey.length}`));
    }
    const keyId = this.#activeId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(wrapAad(keyId, context));
    const wrapped = Buffer.concat([
      Buffer.of(WRAP_FORMAT),
      iv,
      cipher.update(dataKey),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return Promise.resolve({ keyId, wrapped });
  }

  unwrap(wrapped: Buffer, keyId: string, context: KeyContext): Promise<Buffer> {
    const what = `data key v${context.keyVersion} of tenant ${context.tenantId}`;
    const masterKey = this.#keys.get(keyId);
    if (!masterKey) {
      return Promise.reject(
        new KeyProviderError(
          `cannot unwrap ${what}: master key "${keyId}" is not in the master key file (it has ${this.keyIds.join(', ')})`,
        ),
      );
    }
    if (wrapped.length !== WRAPPED_BYTES || wrapped[0] !== WRAP_FORMAT) {
      return Promise.reject(new KeyProviderError(`cannot unwrap ${what}: not a wrapped key of format 1`));
    }
    const decipher = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(1, 1 + IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(wrapAad(keyId, context));
    decipher.setAuthTag(wrapped.subarray(WRAPPED_BYTES - TAG_BYTES));
    try {
      return Promise.resolve(
        Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES, WRAPPED_BYTES - TAG_BYTES)), decipher.final()]),
      );
    } catch {
      return Promise.reject(
        new KeyProviderError(
          `cannot unwrap ${what} with master key "${keyId}": the wrapped key, its tenant or version was altered, or the key file holds a different key under that id`,
        ),
      );
    }
  }

  toJSON(): { activeKeyId: string; keyIds: string[] } {
    return { activeKeyId: this.#activeId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `LocalKeyProvider { activeKeyId: '${this.#activeId}', keyIds: [${this.keyIds.map((id) => `'${id}'`).join(', ')}] }`;
  }
}
