/**
 * Canonical JSON for log entries and tree heads: RFC 8785 (JCS) restricted to a subset that
 * every language serializes the same way. Allowed values: objects, arrays, strings (well-formed
 * Unicode), booleans, null, and integers with magnitude below 2^53. No floats, no undefined.
 * Objects: members sorted by key (UTF-16 code units, as JCS), members whose value is undefined
 * left out (as JSON.stringify does), no whitespace anywhere. Strings:
 * ECMAScript JSON.stringify escaping (`"` `\` and U+0000..U+001F escaped, everything else
 * literal UTF-8), which is what JCS specifies. See docs/consent-log-format.md.
 */
export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue };

export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

export function canonicalize(value: unknown): string {
  const path: Array<string | number> = [];
  try {
    return write(value, path);
  } catch (error) {
    if (error instanceof PathlessError) {
      throw new CanonicalJsonError(`${describePath(path)}: ${error.message}`);
    }
    throw error;
  }
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

/** Thrown while writing; the path to the offending value is added once, on the way out. */
class PathlessError extends Error {}

function describePath(path: Array<string | number>): string {
  return path.reduce<string>(
    (out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : `${out}.${segment}`),
    '$',
  );
}

/** Strings of printable ASCII without `"` or `\` serialize as themselves: the common case, done without JSON.stringify. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

// `path` is a stack of keys and indices, read only when a value is refused (building path strings
// for every value would cost more than the serialization).
function write(value: unknown, path: Array<string | number>): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new PathlessError(`only integers below 2^53 are allowed, got ${value}`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return writeString(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          out += (i ? ',' : '') + write(value[i], path);
          path.pop();
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new PathlessError('only plain objects are allowed');
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        path.push(keys[i]);
        out += `${i ? ',' : ''}${writeString(keys[i])}:${write(record[keys[i]], path)}`;
        path.pop();
      }
      return `${out}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new PathlessError(`${typeof value} is not allowed`);
  }
  throw new PathlessError('unsupported value');
}

function writeString(value: string): string {
  if (PLAIN.test(value)) {
    return `"${value}"`;
  }
  if (!value.isWellFormed()) {
    throw new PathlessError('string contains a lone surrogate');
  }
  return JSON.stringify(value);
}
