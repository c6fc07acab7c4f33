import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * A NUL character (U+0000) can reach no column or jsonb value in PostgreSQL, so a request that
 * carries one is refused at the edge with a 400 in the API's error shape (its `type` makes the
 * error filters treat it like any other body-parser refusal), before a handler or a query sees it.
 * Without this guard such input ends in a failed statement and a 500.
 */
export class NulCharacterError extends Error {
  readonly status = 400;
  readonly type = 'entity.nul_character';

  constructor(where: 'body' | 'URL') {
    super(`The request ${where} contains a NUL character (\\u0000), which is not accepted`);
  }
}

const JSON_NUL = Buffer.from('\\u0000');
const BACKSLASH = 0x5c;

/** True when a JSON text holds a `\u0000` escape (not an escaped backslash followed by `u0000`). */
export function jsonHasNul(buf: Buffer): boolean {
  for (let i = buf.indexOf(JSON_NUL); i !== -1; i = buf.indexOf(JSON_NUL, i + 1)) {
    let backslashes = 0;
    for (let j = i - 1; j >= 0 && buf[j] === BACKSLASH; j--) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return true;
    }
  }
  return false;
}

/** True when a URL holds a percent-encoded NUL. */
export function percentEncodedHasNul(text: string | Buffer): boolean {
  return text.indexOf('%00') !== -1;
}

/**
 * body-parser `verify` hook for JSON: one memchr-like scan of the raw body (no per-value work). `keepRaw`
 * keeps the raw bytes on `req.rawBody` for signature checks (what Nest's `rawBody` option does).
 */
export function jsonVerify(keepRaw: boolean) {
  return (req: IncomingMessage, _res: ServerResponse, buf: Buffer): void => {
    if (keepRaw) {
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
    }
    if (jsonHasNul(buf)) {
      throw new NulCharacterError('body');
    }
  };
}

/** Keeps the raw form body on `req.rawBody`. Form fields are checked by their endpoints (the token endpoint answers a NUL in OAuth's error shape). */
export function formVerify(keepRaw: boolean) {
  return (req: IncomingMessage, _res: ServerResponse, buf: Buffer): void => {
    if (keepRaw) {
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
    }
  };
}

/** Express middleware: a percent-encoded NUL in the path or query string is a 400. */
export function refuseNulInUrl(req: Request, _res: Response, next: NextFunction): void {
  if (percentEncodedHasNul(req.url)) {
    next(new NulCharacterError('URL'));
    return;
  }
  next();
}

/**
 * A statement that failed on characters PostgreSQL cannot store (22021 character_not_in_repertoire,
 * 22P05 untranslatable_character): input that slipped past the edge checks, answered as a 400.
 */
export function isUnstorableInputError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (e as { name?: unknown } | null)?.name === 'QueryFailedError' && (code === '22021' || code === '22P05');
}

/**
 * PostgreSQL's data exceptions that a value from the request causes (22001 string too long, 22003
 * number out of range, 22007/22008 a date or time it cannot read or place, 22P02 text that is not
 * of the column's type): a value slipped past the edge's validation; the safety net answers 400.
 */
const INPUT_VALUE_ERRORS = new Set(['22001', '22003', '22007', '22008', '22P02']);

export function isInvalidInputValueError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (e as { name?: unknown } | null)?.name === 'QueryFailedError' && INPUT_VALUE_ERRORS.has(String(code));
}
