/** The UUID shape tenant-store accepts for ids in paths and cursors. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A page cursor over rows ordered by a time and then a UUID: opaque base64url JSON. */
export interface TimeCursor {
  at: string;
  id: string;
}

export function encodeTimeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

function isRoundTripInstant(at: string): boolean {
  const time = Date.parse(at);
  return !Number.isNaN(time) && !at.startsWith('0000') && new Date(time).toISOString() === at;
}

/** The cursor's position, or undefined when it is not one this service issued (callers answer 400). */
export function parseTimeCursor(cursor: string): TimeCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    if (
      typeof parsed.at === 'string' &&
      // Exactly what encodeTimeCursor writes: anything looser could reach PostgreSQL as a bad timestamp.
      ISO_INSTANT.test(parsed.at) &&
      // A real instant PostgreSQL takes: JavaScript reads 2026-02-31 as 3 March and 24:00 as the next
      // day (PostgreSQL refuses the first), and year 0000 does not exist in PostgreSQL.
      isRoundTripInstant(parsed.at) &&
      typeof parsed.id === 'string' &&
      UUID.test(parsed.id)
    ) {
      return { at: parsed.at, id: parsed.id };
    }
  } catch {
    // not base64url JSON
  }
  return undefined;
}
