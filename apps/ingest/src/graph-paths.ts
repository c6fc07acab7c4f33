import type { NextFunction, Request, Response } from 'express';

/** The version a Graph path without one is served with (`POST /{phone-number-id}/media`, …). */
export const DEFAULT_GRAPH_VERSION = 'v25.0';

/** A Graph object id: phone numbers, business accounts, media and templates all have digits only. */
const OBJECT_ID = /^\d{1,30}$/;

/**
 * The Graph API takes every path without its version segment and serves it with a default
 * version; published SDKs and inboxes call some routes that way. Such a path (its first segment a
 * Graph object id, digits, which no version and none of ingest's own routes is) is served as the
 * same path under DEFAULT_GRAPH_VERSION, so every Graph route takes both forms without a second
 * route. Anything else keeps its path (`/latest/…` still answers that the version is malformed).
 */
export function graphPathWithVersion(url: string): string {
  const first = url.slice(1).split(/[/?#]/, 1)[0];
  return OBJECT_ID.test(first) ? `/${DEFAULT_GRAPH_VERSION}${url}` : url;
}

/** Express middleware: see graphPathWithVersion. */
export function graphDefaultVersion(req: Request, _res: Response, next: NextFunction): void {
  req.url = graphPathWithVersion(req.url);
  next();
}
