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
  return write(value, '$');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function write(value: unknown, path: string): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(`${path}: only integers below 2^53 are allowed, got ${value}`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return writeString(value, path);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError(`${path}: only plain objects are allowed`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${writeString(k, path)}:${write(record[k], `${path}.${k}`)}`).join(',')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new CanonicalJsonError(`${path}: ${typeof value} is not allowed`);
  }
  throw new CanonicalJsonError(`${path}: unsupported value`);
}

function writeString(value: string, path: string): string {
  if (!value.isWellFormed()) {
    throw new CanonicalJsonError(`${path}: string contains a lone surrogate`);
  }
  return JSON.stringify(value);
}
