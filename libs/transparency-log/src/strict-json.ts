/**
 * Strict reading of JSON that a verifier must not take on trust. `JSON.parse` silently keeps the
 * last of two members with the same key, so a file can show one value to a person reading it and
 * another to the code that hashes it; these functions refuse that, and they give the source text
 * of an object's members so a verifier can compare what it was given byte for byte.
 */
export class StrictJsonError extends Error {
  constructor(
    message: string,
    /** `duplicate_key` when an object repeats a key, `malformed` for anything else. */
    readonly code: 'duplicate_key' | 'malformed' = 'malformed',
  ) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const LITERAL = /true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Scans one JSON value starting at `at`; returns where it ends. Objects are checked for duplicate keys. */
class Scanner {
  constructor(private readonly text: string) {}

  skipWs(at: number): number {
    let i = at;
    while (i < this.text.length && WS.has(this.text.charCodeAt(i))) {
      i++;
    }
    return i;
  }

  value(at: number, path: string): number {
    const c = this.text[at];
    if (c === '{') {
      return this.object(at, path).end;
    }
    if (c === '[') {
      let i = this.skipWs(at + 1);
      if (this.text[i] === ']') {
        return i + 1;
      }
      for (let n = 0; ; n++) {
        i = this.skipWs(this.value(this.skipWs(i), `${path}[${n}]`));
        if (this.text[i] === ',') {
          i = this.skipWs(i + 1);
          continue;
        }
        if (this.text[i] === ']') {
          return i + 1;
        }
        throw this.error(i, `expected , or ] in ${path}`);
      }
    }
    if (c === '"') {
      return this.string(at);
    }
    LITERAL.lastIndex = at;
    const literal = LITERAL.exec(this.text);
    if (!literal) {
      throw this.error(at, `unexpected ${c === undefined ? 'end of input' : JSON.stringify(c)} in ${path}`);
    }
    return at + literal[0].length;
  }

  /** An object's members as key → [start, end) of the value's source text. */
  object(at: number, path: string): { end: number; members: Map<string, [number, number]> } {
    const members = new Map<string, [number, number]>();
    let i = this.skipWs(at + 1);
    if (this.text[i] === '}') {
      return { end: i + 1, members };
    }
    for (;;) {
      if (this.text[i] !== '"') {
        throw this.error(i, `expected a member name in ${path}`);
      }
      const keyEnd = this.string(i);
      const key = JSON.parse(this.text.slice(i, keyEnd)) as string;
      const memberPath = `${path}.${key}`;
      if (members.has(key)) {
        throw new StrictJsonError(`duplicate key "${key}" in ${path}`, 'duplicate_key');
      }
      i = this.skipWs(keyEnd);
      if (this.text[i] !== ':') {
        throw this.error(i, `expected : after ${memberPath}`);
      }
      const start = this.skipWs(i + 1);
      const end = this.value(start, memberPath);
      members.set(key, [start, end]);
      i = this.skipWs(end);
      if (this.text[i] === ',') {
        i = this.skipWs(i + 1);
        continue;
      }
      if (this.text[i] === '}') {
        return { end: i + 1, members };
      }
      throw this.error(i, `expected , or } in ${path}`);
    }
  }

  string(at: number): number {
    for (let i = at + 1; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 0x22) {
        return i + 1;
      }
      if (c === 0x5c) {
        const e = this.text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(i + 2, i + 6))) {
            throw this.error(i, 'bad \\u escape');
          }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 1;
        } else {
          throw this.error(i, 'bad escape');
        }
      } else if (c < 0x20) {
        throw this.error(i, 'control character in a string');
      }
    }
    throw this.error(at, 'unterminated string');
  }

  error(at: number, message: string): StrictJsonError {
    return new StrictJsonError(`${message} (at character ${at})`);
  }
}

/** Throws a StrictJsonError when `text` is not exactly one JSON value, or an object in it repeats a key. */
export function assertStrictJson(text: string): void {
  const scanner = new Scanner(text);
  const end = scanner.skipWs(scanner.value(scanner.skipWs(0), '$'));
  if (end !== text.length) {
    throw scanner.error(end, 'unexpected text after the JSON value');
  }
}

/** `JSON.parse`, refusing duplicate keys anywhere. */
export function parseStrictJson(text: string): unknown {
  assertStrictJson(text);
  return JSON.parse(text) as unknown;
}

/**
 * The members of a JSON object as their source text (key → the value exactly as written), refusing
 * anything but one object and duplicate keys at its top level. Nested values are checked for syntax
 * only; parse them with parseStrictJson or compare them with their canonical form.
 */
export function objectMembers(text: string): Map<string, string> {
  const scanner = new Scanner(text);
  const start = scanner.skipWs(0);
  if (text[start] !== '{') {
    throw new StrictJsonError('not a JSON object');
  }
  const { end, members } = scanner.object(start, '$');
  if (scanner.skipWs(end) !== text.length) {
    throw scanner.error(end, 'unexpected text after the JSON object');
  }
  const out = new Map<string, string>();
  for (const [key, [from, to]] of members) {
    out.set(key, text.slice(from, to));
  }
  return out;
}
