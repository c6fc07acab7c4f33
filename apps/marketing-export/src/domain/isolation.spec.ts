import { DestinationError, sendIsolating, SendOutcome } from './isolation';

const bad: DestinationError = { status: 400, message: 'Invalid parameter' };

/** A destination that rejects any batch containing a bad item, naming its index or not. */
function destination(badItems: Set<number>, withIndex: boolean) {
  const calls: number[][] = [];
  const send = (batch: number[]): Promise<SendOutcome<string>> => {
    calls.push(batch);
    const index = batch.findIndex((i) => badItems.has(i));
    if (index < 0) {
      return Promise.resolve({ ok: true, response: `ok:${batch.length}` });
    }
    return Promise.resolve(
      withIndex ? { ok: false, transient: false, error: bad, index } : { ok: false, transient: false, error: bad },
    );
  };
  return { calls, send };
}

describe('sendIsolating', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);

  it('sends everything in one request per batch when all is well', async () => {
    const d = destination(new Set(), true);
    const result = await sendIsolating([items.slice(0, 600), items.slice(600)], d.send);
    expect(result.requests).toBe(2);
    expect(result.accepted.flatMap((a) => a.items)).toEqual(items);
    expect(result.rejected).toEqual([]);
  });

  it('uses the index the destination names: one bad item costs one extra request', async () => {
    const d = destination(new Set([137]), true);
    const result = await sendIsolating([items], d.send);
    expect(result.rejected).toEqual([{ item: 137, error: bad }]);
    expect(result.accepted.flatMap((a) => a.items).sort((a, b) => a - b)).toEqual(items.filter((i) => i !== 137));
    expect(result.requests).toBe(2);
  });

  it('bisects when no index is given, in O(log n) requests per bad item', async () => {
    const d = destination(new Set([3, 700]), false);
    const result = await sendIsolating([items], d.send);
    expect(result.rejected.map((r) => r.item).sort((a, b) => a - b)).toEqual([3, 700]);
    expect(result.accepted.flatMap((a) => a.items).length).toBe(998);
    expect(result.requests).toBeLessThanOrEqual(2 * 2 * Math.ceil(Math.log2(1000)) + 1);
    // Every accepted item was accepted exactly once.
    expect(new Set(result.accepted.flatMap((a) => a.items)).size).toBe(998);
  });

  it('ignores an index outside the batch and bisects instead', async () => {
    let first = true;
    const result = await sendIsolating([[1, 2, 3, 4]], (batch) => {
      if (first) {
        first = false;
        return Promise.resolve({ ok: false, transient: false, error: bad, index: 99 });
      }
      return Promise.resolve({ ok: true, response: batch.length });
    });
    expect(result.rejected).toEqual([]);
    expect(result.accepted.map((a) => a.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('stops at a transient failure and leaves the rest unsettled for a retry', async () => {
    let n = 0;
    const result = await sendIsolating([[1, 2], [3, 4], [5]], (batch) => {
      n++;
      return Promise.resolve(
        n === 2
          ? { ok: false, transient: true, error: { status: 503, message: 'down' } }
          : { ok: true, response: batch },
      );
    });
    expect(result.accepted.flatMap((a) => a.items)).toEqual([1, 2]);
    expect(result.deferred).toEqual([3, 4, 5]);
    expect(result.deferredError).toEqual({ status: 503, message: 'down' });
    expect(result.requests).toBe(2);
  });

  it('rejects a lone item even when every request fails permanently (bounded)', async () => {
    const result = await sendIsolating([[1, 2, 3]], () => Promise.resolve({ ok: false, transient: false, error: bad }));
    expect(result.rejected.map((r) => r.item)).toEqual([1, 2, 3]);
    expect(result.requests).toBe(5);
  });

  it('flags the last request of the round', async () => {
    const flags: boolean[] = [];
    await sendIsolating([[1], [2], [3]], (batch, isLast) => {
      flags.push(isLast);
      return Promise.resolve({ ok: true, response: batch });
    });
    expect(flags).toEqual([false, false, true]);
  });
});
