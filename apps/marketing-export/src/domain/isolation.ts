/** What one request to the destination did. */
export type SendOutcome<R> =
  | { ok: true; response: R }
  /** 5xx, 429, timeouts, connection errors: the whole batch may be tried again later. */
  | { ok: false; transient: true; error: DestinationError }
  /** 4xx: this batch will never be accepted as it is; `index` names the bad item when the destination says. */
  | { ok: false; transient: false; error: DestinationError; index?: number };

/** The destination's error, kept for the ledger (no personal data: the destination echoes none back). */
export interface DestinationError {
  status: number | null;
  message: string;
  code?: number;
  subcode?: number;
  fbtraceId?: string;
}

export interface IsolationResult<T, R> {
  accepted: Array<{ items: T[]; response: R }>;
  rejected: Array<{ item: T; error: DestinationError }>;
  /** Items not settled because the destination became unavailable; retry them later. */
  deferred: T[];
  deferredError?: DestinationError;
  requests: number;
}

/**
 * Sends `items` in the given batches; when the destination rejects a whole batch for one bad
 * item (as the conversions API does), isolates it and sends the rest: by the index the error
 * names when it names a valid one, otherwise by bisection. Every request either settles items or
 * splits a batch, so the number of requests is bounded (at most 2n - 1 for n items, fewer with
 * indices). A transient failure stops the round and leaves everything unsettled for a retry.
 */
export async function sendIsolating<T, R>(
  batches: T[][],
  send: (batch: T[], isLast: boolean) => Promise<SendOutcome<R>>,
): Promise<IsolationResult<T, R>> {
  const queue = batches.filter((b) => b.length > 0).map((b) => [...b]);
  const result: IsolationResult<T, R> = { accepted: [], rejected: [], deferred: [], requests: 0 };
  while (queue.length > 0) {
    const batch = queue.shift()!;
    const outcome = await send(batch, queue.length === 0);
    result.requests++;
    if (outcome.ok) {
      result.accepted.push({ items: batch, response: outcome.response });
      continue;
    }
    if (outcome.transient) {
      result.deferred = [...batch, ...queue.flat()];
      result.deferredError = outcome.error;
      return result;
    }
    if (batch.length === 1) {
      result.rejected.push({ item: batch[0], error: outcome.error });
      continue;
    }
    const index = outcome.index;
    if (index !== undefined && Number.isInteger(index) && index >= 0 && index < batch.length) {
      result.rejected.push({ item: batch[index], error: outcome.error });
      const rest = [...batch.slice(0, index), ...batch.slice(index + 1)];
      queue.unshift(rest);
      continue;
    }
    const half = Math.ceil(batch.length / 2);
    queue.unshift(batch.slice(0, half), batch.slice(half));
  }
  return result;
}
