import { randomBytes, randomUUID } from 'node:crypto';
import { asTenantId, TenantId } from '@custody/database';
import { FieldCipher } from '../field-cipher';
import { KeyProvider } from '../key-provider';
import { LocalKeyProvider, MasterKeyFile } from '../local-key-provider';
import { MemoryDataKeyStore } from '../memory-data-key-store';
import { TenantKeyring, TenantKeyringOptions } from '../tenant-keyring';

export function newTenant(): TenantId {
  return asTenantId(randomUUID());
}

/** A key file with fresh random keys under the given ids (first is active). */
export function keyFile(...ids: string[]): MasterKeyFile {
  return { keys: ids.map((id) => ({ id, key: randomBytes(32).toString('base64') })) };
}

/** Keeps only some keys of a file, in the given order: what a replica with another mounted secret sees. */
export function pick(file: MasterKeyFile, ...ids: string[]): MasterKeyFile {
  return { keys: ids.map((id) => file.keys.find((k) => k.id === id)!) };
}

export class FakeClock {
  constructor(public ms = Date.parse('2026-11-01T00:00:00Z')) {}
  readonly now = (): number => this.ms;
  readonly date = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Counts the calls a keyring makes to its provider (to see the cache at work). */
export class CountingProvider implements KeyProvider {
  wraps = 0;
  unwraps = 0;
  constructor(readonly inner: KeyProvider) {}
  activeKeyId(): Promise<string> {
    return this.inner.activeKeyId();
  }
  wrap(...args: Parameters<KeyProvider['wrap']>): ReturnType<KeyProvider['wrap']> {
    this.wraps++;
    return this.inner.wrap(...args);
  }
  unwrap(...args: Parameters<KeyProvider['unwrap']>): ReturnType<KeyProvider['unwrap']> {
    this.unwraps++;
    return this.inner.unwrap(...args);
  }
}

/** One replica: a keyring and a cipher over a (shared) store, with a counting provider and a fake clock. */
export function replica(
  store: MemoryDataKeyStore,
  file: MasterKeyFile,
  clock = new FakeClock(),
  options: TenantKeyringOptions = {},
): { provider: CountingProvider; keyring: TenantKeyring; cipher: FieldCipher; clock: FakeClock } {
  const provider = new CountingProvider(new LocalKeyProvider(file));
  const keyring = new TenantKeyring(store, provider, { now: clock.now, ...options });
  return { provider, keyring, cipher: new FieldCipher(keyring), clock };
}
