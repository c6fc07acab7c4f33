/** The destination's limits: customer-list uploads and removals take ≤10,000 rows, conversions ≤1,000 events. */
export const AUDIENCE_BATCH_MAX = 10_000;
export const EVENTS_BATCH_MAX = 1_000;

/** Conversion events older than this are refused by the destination (and never sent). */
export const EVENT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error('chunk size must be a positive integer');
  }
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

/** True when an event that happened at `eventTime` may still be sent at `now` (with a safety margin). */
export function isFreshEnough(eventTime: Date, now: Date, marginMs = 60_000): boolean {
  return now.getTime() - eventTime.getTime() <= EVENT_MAX_AGE_MS - marginMs;
}
