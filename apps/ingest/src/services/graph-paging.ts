/** Cursor paging as the Graph API answers it: `paging.cursors` and `next` / `previous` links. */
export interface GraphPaging {
  cursors: { before: string; after: string };
  next?: string;
  previous?: string;
}

/** A cursor names an object id (opaque to the caller: base64url). */
export const cursorOf = (id: string): string => Buffer.from(id).toString('base64url');

/** The id a cursor names, or undefined when it is not a cursor of ids of this shape. */
export function idOfCursor(cursor: string, idShape: RegExp): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString();
  return idShape.test(id) ? id : undefined;
}

/**
 * The `paging` object of a non-empty page: its cursors, and links to the next and previous pages
 * (the request's own path and query with the other cursor, under the public base URL; never an
 * `access_token` from the query).
 */
export function graphPaging(
  page: { firstId: string; lastId: string; limit: number; hasNext: boolean; hasPrevious: boolean },
  selfUrl: string,
  publicBaseUrl: string | undefined,
): GraphPaging {
  const first = cursorOf(page.firstId);
  const last = cursorOf(page.lastId);
  const link = (cursor: 'after' | 'before', value: string): string => {
    const url = new URL(selfUrl, 'http://placeholder');
    url.searchParams.delete('after');
    url.searchParams.delete('before');
    url.searchParams.delete('access_token');
    url.searchParams.set('limit', String(page.limit));
    url.searchParams.set(cursor, value);
    const base = publicBaseUrl?.replace(/\/+$/, '') ?? '';
    return `${base}${url.pathname}${url.search}`;
  };
  return {
    cursors: { before: first, after: last },
    ...(page.hasNext ? { next: link('after', last) } : {}),
    ...(page.hasPrevious ? { previous: link('before', first) } : {}),
  };
}
