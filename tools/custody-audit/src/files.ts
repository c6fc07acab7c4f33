import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { JWK } from 'jose';
import { TreeHeadError, VerifiedTreeHead, verifyTreeHead } from '@custody/transparency-log';
import { UsageError } from './args';

export async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${what} ${file} is not JSON`);
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

/** Lines of one or more files (or `-` for stdin), in order, skipping empty lines. */
export async function* readLines(files: string[], onBytes?: (n: number) => void): AsyncGenerator<string> {
  for (const file of files) {
    const input = file === '-' ? process.stdin : createReadStream(file);
    if (onBytes) {
      input.on('data', (chunk: string | Buffer) => onBytes(chunk.length));
    }
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() !== '') {
          yield line;
        }
      }
    } catch (error) {
      throw new UsageError(`cannot read export ${file}: ${(error as Error).message}`);
    }
  }
}
