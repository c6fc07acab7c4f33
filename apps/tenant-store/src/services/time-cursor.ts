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

/** The cursor's position, or undefined when it is not one this service issued (callers answer 400). */
export function parseTimeCursor(cursor: string): TimeCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    if (
      typeof parsed.at === 'string' &&
      // Exactly what encodeTimeCursor writes: anything looser could reach PostgreSQL as a bad timestamp.
      ISO_INSTANT.test(parsed.at) &&
      !Number.isNaN(Date.parse(parsed.at)) &&
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
