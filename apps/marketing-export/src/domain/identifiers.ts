import { createHash } from 'node:crypto';

/**
 * Customer identifiers normalized and hashed the way the ads platform matches them (Meta
 * customer-list audiences and the Conversions API):
 * - phone: digits only (symbols and letters removed), no leading zeros, always with the country
 *   code and without `+` — e.g. `+1 (650) 555-1212` → `16505551212`;
 * - email: leading/trailing whitespace trimmed, lowercased;
 * then SHA-256, hex, lowercase.
 *
 * A WhatsApp id (`wa_id`) is already E.164 digits without `+`, so it normalizes to itself.
 * Errors never contain the input: it is a phone number or an email address.
 */
export class IdentifierError extends Error {
  constructor(
    readonly kind: 'phone' | 'email',
    readonly reason: string,
  ) {
    super(`cannot normalize ${kind}: ${reason}`);
    this.name = 'IdentifierError';
  }
}

/** E.164: at most 15 digits with the country code. Shorter than 7 is not a subscriber number. */
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;
const COUNTRY_CODE = /^[1-9]\d{0,2}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Normalizes a phone number to country code + national number, digits only.
 *
 * - `+…` or `00…` (international prefix): the digits already start with the country code; a
 *   bracketed trunk zero (`+49 (0)151 …`) is dropped.
 * - Otherwise, without `defaultCountryCode`: the digits must already include the country code
 *   (a WhatsApp id, `16505551212`). Leading zeros are removed, as the platform requires.
 * - Otherwise, with `defaultCountryCode` (e.g. `'44'`): a national number. A trunk prefix `0` is
 *   dropped and the country code prepended (`07700 900077` → `447700900077`); digits that
 *   already begin with the country code are taken as international (`1 650 555 1212` with `'1'`).
 *
 * @throws IdentifierError when no plausible number remains (too few or too many digits).
 */
export function normalizePhone(input: string, defaultCountryCode?: string): string {
  if (typeof input !== 'string') {
    throw new IdentifierError('phone', 'not a string');
  }
  if (defaultCountryCode !== undefined && !COUNTRY_CODE.test(defaultCountryCode)) {
    throw new IdentifierError('phone', 'the default country code must be 1-3 digits, not starting with 0');
  }
  // Whatever precedes the number (a label such as "tel:") does not hide its `+` or `00`.
  const number = input.trim().replace(/^[^\d+]+/, '');
  const international = number.startsWith('+') || number.startsWith('00');
  // "+49 (0)151 …": the bracketed trunk zero is not dialled after a country code.
  const digits = (international ? number.replace(/\(0\)/g, '') : number).replace(/\D/g, '');
  const hadTrunkZero = digits.startsWith('0');
  let normalized = digits.replace(/^0+/, '');
  if (
    !international &&
    defaultCountryCode !== undefined &&
    (hadTrunkZero || !normalized.startsWith(defaultCountryCode))
  ) {
    normalized = `${defaultCountryCode}${normalized}`;
  }
  if (normalized.length < MIN_PHONE_DIGITS) {
    throw new IdentifierError('phone', `fewer than ${MIN_PHONE_DIGITS} digits with the country code`);
  }
  if (normalized.length > MAX_PHONE_DIGITS) {
    throw new IdentifierError('phone', `more than ${MAX_PHONE_DIGITS} digits (E.164 maximum)`);
  }
  return normalized;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Normalizes an email address: trims leading and trailing whitespace and lowercases it.
 * @throws IdentifierError when what remains is not an address (`local@domain.tld`).
 */
export function normalizeEmail(input: string): string {
  if (typeof input !== 'string') {
    throw new IdentifierError('email', 'not a string');
  }
  const normalized = input.trim().toLowerCase();
  if (!EMAIL.test(normalized)) {
    throw new IdentifierError('email', 'not an address of the form local@domain.tld');
  }
  return normalized;
}

/** SHA-256 of the UTF-8 bytes, lowercase hex (64 characters). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** True for a lowercase SHA-256 hex digest (what the platform accepts as a hashed identifier). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Normalized, then hashed phone number (`PHONE_SHA256` / `user_data.ph`). */
export function hashPhone(input: string, defaultCountryCode?: string): string {
  return sha256Hex(normalizePhone(input, defaultCountryCode));
}

/** Normalized, then hashed email address (`EMAIL_SHA256` / `user_data.em`). */
export function hashEmail(input: string): string {
  return sha256Hex(normalizeEmail(input));
}
