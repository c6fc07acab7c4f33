import type { TenantId } from '@custody/database';
import { keyVersionOf } from './envelope';
import { KeyProviderError } from './errors';
import { FieldCipher } from './field-cipher';
import { MemoryDataKeyStore } from './memory-data-key-store';
import { reencryptBatch, ReencryptionProgress, ReencryptionSource, RowRewrite, runReencryption } from './reencrypt';
import { TenantKeyring } from './tenant-keyring';
import { FakeClock, keyFile, newTenant, replica } from './testing/fixtures';

interface MessageRow {
  id: string;
  tenantId: TenantId;
  messageId: string;
  body: string | null;
  mediaRef: string | null;
}

/** A messages table in memory, with the keyset fetch and compare-and-set save the lead's SQL will do. */
class MessageTable implements ReencryptionSource<MessageRow> {
  readonly rows = new Map<string, MessageRow>();
  fetches: Array<[string | null, number]> = [];
  beforeSave?: () => void;

  fetchBatch(afterId: string | null, limit: number): Promise<MessageRow[]> {
    this.fetches.push([afterId, limit]);
    const ids = [...this.rows.keys()].sort().filter((id) => afterId === null || id > afterId);
    return Promise.resolve(ids.slice(0, limit).map((id) => ({ ...this.rows.get(id)! })));
  }
  idOf(row: MessageRow): string {
    return row.id;
  }
  tenantOf(row: MessageRow): TenantId {
    return row.tenantId;
  }
  fieldsOf(row: MessageRow) {
    return [
      { field: 'body', messageId: row.messageId, envelope: row.body },
      { field: 'media_ref', messageId: row.messageId, envelope: row.mediaRef },
    ];
  }
  save(rewrites: ReadonlyArray<RowRewrite<MessageRow>>): Promise<number> {
    this.beforeSave?.();
    let written = 0;
    for (const { id, fields } of rewrites) {
      const current = this.rows.get(id);
      const column = (f: string): 'body' | 'mediaRef' => (f === 'body' ? 'body' : 'mediaRef');
      if (current && fields.every((f) => current[column(f.field)] === f.previous)) {
        fields.forEach((f) => (current[column(f.field)] = f.next));
        written++;
      }
    }
    return Promise.resolve(written);
  }
}

describe('re-encryption', () => {
  let clock: FakeClock;
  let store: MemoryDataKeyStore;
  let keyring: TenantKeyring;
  let cipher: FieldCipher;
  let table: MessageTable;
  let [a, b]: TenantId[] = [];
  const plaintexts = new Map<string, string>();
  const file = keyFile('mk-1');

  async function insert(id: string, tenantId: TenantId, media = false): Promise<void> {
    const messageId = `wamid.${id}`;
    const body = `body of ${id}`;
    plaintexts.set(id, body);
    table.rows.set(id, {
      id,
      tenantId,
      messageId,
      body: await cipher.encrypt(tenantId, body, { messageId, field: 'body' }),
      mediaRef: media ? await cipher.encrypt(tenantId, `media:${id}`, { messageId, field: 'media_ref' }) : null,
    });
  }

  async function expectReadable(): Promise<void> {
    for (const row of table.rows.values()) {
      await expect(
        cipher.decryptString(row.tenantId, row.body!, { messageId: row.messageId, field: 'body' }),
      ).resolves.toBe(plaintexts.get(row.id));
      if (row.mediaRef) {
        await expect(
          cipher.decryptString(row.tenantId, row.mediaRef, { messageId: row.messageId, field: 'media_ref' }),
        ).resolves.toBe(`media:${row.id}`);
      }
    }
  }

  const versions = (tenantId: TenantId): number[] =>
    [...table.rows.values()]
      .filter((r) => r.tenantId === tenantId)
      .flatMap((r) => [r.body, r.mediaRef])
      .filter((v): v is string => v !== null)
      .map(keyVersionOf);

  beforeEach(async () => {
    clock = new FakeClock();
    store = new MemoryDataKeyStore(clock.date);
    ({ keyring, cipher } = replica(store, file, clock));
    table = new MessageTable();
    [a, b] = [newTenant(), newTenant()];
    for (let i = 1; i <= 7; i++) {
      await insert(`m-${String(i).padStart(3, '0')}`, i % 3 === 0 ? b : a, i % 2 === 0);
    }
  });

  it('moves every value under an old key version to the active one, in keyset batches, with progress', async () => {
    await keyring.rotate(a);
    const progress: ReencryptionProgress[] = [];
    const result = await runReencryption(cipher, table, { batchSize: 3, onProgress: (p) => void progress.push(p) });

    expect(result).toEqual({
      batches: 3,
      scanned: 7,
      rewritten: 5,
      upToDate: 3,
      failed: 0,
      cursor: 'm-007',
      done: true,
      failures: [],
    });
    expect(progress.map((p) => [p.batches, p.scanned, p.cursor])).toEqual([
      [1, 3, 'm-003'],
      [2, 6, 'm-006'],
      [3, 7, 'm-007'],
    ]);
    expect(table.fetches).toEqual([
      [null, 3],
      ['m-003', 3],
      ['m-006', 3],
    ]);
    expect(new Set(versions(a))).toEqual(new Set([2]));
    expect(new Set(versions(b))).toEqual(new Set([1]));
    await expectReadable();

    // Nothing is left under v1 of tenant a: it can be destroyed, and everything still reads.
    clock.advance(60_000);
    await keyring.destroyVersion(a, 1);
    await expectReadable();
    await expect(runReencryption(cipher, table)).resolves.toMatchObject({ rewritten: 0, upToDate: 10, done: true });
  });

  it('is resumable: bounded runs continue from the cursor and finish the job', async () => {
    await keyring.rotate(a);
    await keyring.rotate(b);
    const first = await runReencryption(cipher, table, { batchSize: 2, maxBatches: 1 });
    expect(first).toMatchObject({ batches: 1, scanned: 2, done: false, cursor: 'm-002' });
    const second = await runReencryption(cipher, table, { batchSize: 2, maxBatches: 2, startAfter: first.cursor });
    expect(second).toMatchObject({ batches: 2, scanned: 4, done: false, cursor: 'm-006' });
    const last = await runReencryption(cipher, table, { batchSize: 2, startAfter: second.cursor });
    expect(last).toMatchObject({ batches: 1, scanned: 1, done: true, cursor: 'm-007' });
    expect(first.rewritten + second.rewritten + last.rewritten).toBe(7);
    expect(new Set([...versions(a), ...versions(b)])).toEqual(new Set([2]));
    await expectReadable();
  });

  it('stops between batches when aborted (shutdown), leaving a cursor to resume from', async () => {
    await keyring.rotate(a);
    const controller = new AbortController();
    const result = await runReencryption(cipher, table, {
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => (p.batches === 2 ? controller.abort() : undefined),
    });
    expect(result).toMatchObject({ batches: 2, done: false, cursor: 'm-004' });
  });

  it('uses the truly active version, not a stale cache of another replica', async () => {
    const other = replica(store, file, clock);
    await cipher.encrypt(a, 'warm the cache', { messageId: 'x', field: 'body' });
    // This replica's keyring caches v1 as active; another replica rotates.
    await other.keyring.rotate(a);
    expect(await cipher.activeVersion(a)).toBe(1);
    const result = await runReencryption(cipher, table);
    expect(result.rewritten).toBe(5);
    expect(new Set(versions(a))).toEqual(new Set([2]));
    await expect(
      other.cipher.decryptString(a, table.rows.get('m-001')!.body!, { messageId: 'wamid.m-001', field: 'body' }),
    ).resolves.toBe('body of m-001');
  });

  it('leaves rows that changed meanwhile to the compare-and-set (counted as not rewritten)', async () => {
    await keyring.rotate(a);
    table.beforeSave = () => {
      table.rows.get('m-001')!.body = 'changed by the app';
      table.beforeSave = undefined;
    };
    const result = await runReencryption(cipher, table);
    expect(result.rewritten).toBe(4);
    expect(table.rows.get('m-001')!.body).toBe('changed by the app');
  });

  it('reports values that do not decrypt and goes on with the others', async () => {
    await keyring.rotate(a);
    const victim = table.rows.get('m-002')!;
    victim.body = table.rows.get('m-001')!.body; // copied from another row: the AAD does not match
    const broken = table.rows.get('m-004')!;
    broken.mediaRef = 'not an envelope';

    const result = await runReencryption(cipher, table);
    expect(result.failed).toBe(2);
    expect(result.failures).toEqual([
      {
        id: 'm-002',
        tenantId: a,
        field: 'body',
        reason: 'authentication-failed',
        message: expect.stringContaining('wamid.m-002'),
      },
      {
        id: 'm-004',
        tenantId: a,
        field: 'media_ref',
        reason: 'malformed',
        message: 'not a v1 or v2 ciphertext envelope',
      },
    ]);
    expect(table.rows.get('m-004')!.mediaRef).toBe('not an envelope');
    expect(keyVersionOf(table.rows.get('m-004')!.body!)).toBe(2);
    expect(keyVersionOf(table.rows.get('m-002')!.mediaRef!)).toBe(2);
  });

  it("reports a destroyed tenant's values as unrecoverable", async () => {
    await keyring.destroy(b);
    const result = await runReencryption(cipher, table);
    expect(result.failures.map((f) => [f.id, f.reason])).toEqual([
      ['m-003', 'key-destroyed'],
      ['m-006', 'key-destroyed'],
      ['m-006', 'key-destroyed'],
    ]);
  });

  it('throws infrastructure errors instead of skipping rows', async () => {
    await keyring.rotate(a);
    const broken = new FieldCipher(new TenantKeyring(store, replica(store, keyFile('mk-other'), clock).provider));
    await expect(runReencryption(broken, table)).rejects.toThrow(KeyProviderError);
  });

  it('refuses a fetch that does not advance', async () => {
    const stuck: ReencryptionSource<MessageRow> = {
      ...table,
      idOf: table.idOf,
      tenantOf: table.tenantOf,
      fieldsOf: table.fieldsOf,
      save: () => Promise.resolve(),
      fetchBatch: () => table.fetchBatch(null, 1),
    };
    await expect(runReencryption(cipher, stuck, { batchSize: 1 })).rejects.toThrow(
      'fetchBatch returned rows up to id m-001 again',
    );
    await expect(runReencryption(cipher, table, { batchSize: 0 })).rejects.toThrow(RangeError);
  });

  it('reencryptBatch alone returns the rewrites without saving anything', async () => {
    await keyring.rotate(b);
    const rows = await table.fetchBatch(null, 10);
    const batch = await reencryptBatch(cipher, rows, table);
    expect(
      batch.rewrites.map((r) => [r.id, r.fields.map((f) => `${f.field}:${f.fromVersion}->${f.toVersion}`)]),
    ).toEqual([
      ['m-003', ['body:1->2']],
      ['m-006', ['body:1->2', 'media_ref:1->2']],
    ]);
    expect(batch.upToDate).toBe(7);
    expect(new Set(versions(b))).toEqual(new Set([1]));
  });
});
