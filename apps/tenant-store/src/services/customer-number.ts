/** The result of reading a customer's number from an API request. */
export type CustomerNumber = { ok: true; waId: string } | { ok: false; problem: string };

const ALLOWED = /^\+?[0-9 ()./-]+$/;

/**
 * A customer's WhatsApp id from what a tenant admin typed: a phone number in international form
 * (`+1 555-000 1111`, `+1 (555) 000.1111`) or a wa_id (`15550001111`). Spaces, dashes, dots,
 * brackets and one leading `+` are dropped; what remains must be 6-20 digits. Problems never
 * repeat the input (it is personal data).
 */
export function normalizeCustomerNumber(input: { phoneNumber?: unknown; waId?: unknown }): CustomerNumber {
  const given = [input.phoneNumber, input.waId].filter((v) => v !== undefined && v !== null);
  if (given.length !== 1) {
    return { ok: false, problem: 'exactly one of phoneNumber or waId is required' };
  }
  const field = input.phoneNumber !== undefined && input.phoneNumber !== null ? 'phoneNumber' : 'waId';
  const raw = given[0];
  if (typeof raw !== 'string') {
    return { ok: false, problem: `${field} must be a string` };
  }
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > 40 || !ALLOWED.test(trimmed)) {
    return {
      ok: false,
      problem: `${field} must be a phone number in international form: digits, optionally a leading + and spaces, dashes, dots or brackets`,
    };
  }
  if (field === 'waId' && !/^\d+$/.test(trimmed)) {
    return { ok: false, problem: 'waId must be digits only' };
  }
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 6 || digits.length > 20) {
    return { ok: false, problem: `${field} must have 6 to 20 digits (country code included)` };
  }
  return { ok: true, waId: digits };
}
