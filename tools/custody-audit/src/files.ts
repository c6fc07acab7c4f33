import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import {
  parseStrictJson,
  StrictJsonError,
  TreeHeadError,
  VerifiedTreeHead,
  verifyTreeHead,
} from '@custody/transparency-log';
import { UsageError } from './args';

export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

/** A JSON file, read strictly: a duplicated key anywhere is refused, not resolved silently. */
export async function readJson(file: string, what: string): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return parseStrictJson(text);
  } catch (error) {
    throw new UsageError(
      `${what} ${file} is not valid JSON: ${error instanceof StrictJsonError ? error.message : 'syntax error'}`,
    );
  }
}

/** The log's public keys: a JWKS `{ "keys": [...] }` (as GET /v1/audit/log-keys returns) or one JWK. */
export async function readKeys(file: string): Promise<{ keys: JWK[] }> {
  const value = (await readJson(file, 'key file')) as { keys?: unknown; kty?: unknown };
  if (Array.isArray(value?.keys)) {
    return { keys: value.keys as JWK[] };
  }
  if (typeof value?.kty === 'string') {
    return { keys: [value as JWK] };
  }
  throw new UsageError(`key file ${file} holds neither a JWKS nor a JWK`);
}

export class VerificationFailure extends Error {}

export async function readHead(file: string, keys: { keys: JWK[] }): Promise<VerifiedTreeHead> {
  const sth = await readJson(file, 'tree head');
  try {
    return await verifyTreeHead(sth, keys);
  } catch (error) {
    if (error instanceof TreeHeadError) {
      throw new VerificationFailure(`tree head ${file}: ${error.message}`);
    }
    throw error;
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of one or more JSON Lines files (or `-` for stdin), in order, skipping empty ones.
 * Lines are split on the framing only: LF, with an optional CR before it. U+2028 and U+2029 are
 * ordinary characters inside JSON strings (canonical JSON writes them raw), so they never end a
 * line here (Node's readline would split on them). Each line must be valid UTF-8.
 */
export async function* readLines(files: string[], onBytes?: (n: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let lineNumber = 0;
  for (const file of files) {
    const input = file === '-' ? process.stdin : createReadStream(file);
    let pending: Buffer[] = [];
    const emit = (parts: Buffer[]): string | undefined => {
      lineNumber += 1;
      let bytes = Buffer.concat(parts);
      if (bytes.length && bytes[bytes.length - 1] === CR) {
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      if (bytes.length === 0) {
        return undefined;
      }
      try {
        return decoder.decode(bytes);
      } catch {
        throw new VerificationFailure(
          `export ${file}: line ${lineNumber} is not valid UTF-8, so it cannot be the log's canonical JSON`,
        );
      }
    };
    try {
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        onBytes?.(buf.length);
        let start = 0;
        for (let at = buf.indexOf(LF); at >= 0; at = buf.indexOf(LF, start)) {
          pending.push(buf.subarray(start, at));
          const line = emit(pending);
          pending = [];
          start = at + 1;
          if (line !== undefined) {
            yield line;
          }
        }
        if (start < buf.length) {
          pending.push(buf.subarray(start));
        }
      }
    } catch (error) {
      if (error instanceof VerificationFailure) {
        throw error;
      }
      throw new UsageError(`cannot read export ${file}: ${(error as Error).message}`);
    }
    const last = pending.length ? emit(pending) : undefined;
    if (last !== undefined) {
      yield last;
    }
  }
}
