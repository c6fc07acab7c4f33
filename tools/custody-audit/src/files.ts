import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import {
  NoteError,
  NoteVerifierKey,
  parseStrictJson,
  parseVerifierKey,
  StrictJsonError,
  TreeHeadError,
  TrustedHead,
  VerifiedTreeHead,
  verifyCheckpoint,
  verifyTreeHead,
} from '@custody/transparency-log';
import { many, one, optional, ParsedArgs, UsageError } from './args';

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

/** A verified head of the pinned log: a JSON tree head or a C2SP checkpoint. */
export interface Head extends TrustedHead {
  kind: 'sth' | 'checkpoint';
  /** How it was verified, for the report (signer, time, cosignatures). */
  describe: string;
  cosignatures?: Array<{ witness: string; timestamp: number }>;
}

/**
 * What the auditor trusts, from the command line: `--keys` (the JWKS of JSON tree heads),
 * `--log-key` (the log's checkpoint verifier keys: a key, or a file of keys or of
 * GET …/checkpoint-keys output), `--witness` (witness verifier keys, likewise) and `--quorum`
 * (how many of the witnesses must have cosigned a checkpoint; default: all of them).
 */
export class Trust {
  private jwks?: { keys: JWK[] };

  constructor(
    private readonly args: ParsedArgs,
    private readonly origin: string,
  ) {}

  async read(file: string): Promise<Head> {
    const text = await readText(file, 'tree head');
    if (text.trimStart().startsWith('{')) {
      this.jwks ??= await readKeys(one(this.args, 'keys'));
      const head = await readHead(file, this.jwks);
      return { ...head, kind: 'sth', describe: `signed by ${head.keyId} at ${new Date(head.timestamp).toISOString()}` };
    }
    const logKeys = await verifierKeys(many(this.args, 'log-key'), '--log-key');
    const witnesses = await verifierKeys(many(this.args, 'witness', false), '--witness');
    const quorumText = optional(this.args, 'quorum');
    const quorum = quorumText === undefined ? witnesses.length : Number(quorumText);
    if (!Number.isInteger(quorum) || quorum < 0 || quorum > witnesses.length) {
      throw new UsageError(
        `--quorum must be a whole number from 0 to the number of --witness keys (${witnesses.length})`,
      );
    }
    try {
      const checkpoint = verifyCheckpoint(text, { origin: this.origin, logKeys, witnesses, quorum });
      const cosignatures = checkpoint.cosignatures.map((c) => ({ witness: c.key.name, timestamp: c.timestamp }));
      const by = cosignatures.map((c) => `${c.witness} at ${new Date(c.timestamp * 1000).toISOString()}`);
      return {
        origin: checkpoint.origin,
        treeSize: checkpoint.treeSize,
        rootHash: checkpoint.rootHash,
        kind: 'checkpoint',
        describe: `signed by ${checkpoint.logKeys.map((k) => k.text.split('+').slice(0, 2).join('+')).join(', ')}${by.length ? `, cosigned by ${by.join(', ')}` : ''}`,
        cosignatures,
      };
    } catch (error) {
      if (error instanceof NoteError) {
        throw new VerificationFailure(`checkpoint ${file}: ${error.message}`);
      }
      throw error;
    }
  }
}

/** Verifier keys given as keys, or as files holding one per line or GET …/checkpoint-keys JSON. */
export async function verifierKeys(values: string[], option: string): Promise<NoteVerifierKey[]> {
  const texts: string[] = [];
  for (const value of values) {
    if (!existsSync(value)) {
      texts.push(value);
      continue;
    }
    const content = await readText(value, `${option} file`);
    if (content.trimStart().startsWith('{')) {
      const parsed = (await readJson(value, `${option} file`)) as { keys?: Array<{ verifierKey?: unknown }> };
      texts.push(...(parsed.keys ?? []).map((k) => String(k.verifierKey)));
    } else {
      texts.push(...content.split('\n').filter((l) => l.trim() !== ''));
    }
  }
  return texts.map((t) => {
    try {
      return parseVerifierKey(t);
    } catch (error) {
      throw new UsageError(`${option}: ${(error as Error).message}`);
    }
  });
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
