import { AdsErrorSubcodes, AdsGraphError, invalidParameter } from './ads-graph-error';

/**
 * Validation of the simulated ads platform's requests, as the real one documents it (Meta
 * customer-list Custom Audiences and the Conversions API). Pure functions: they take the request
 * body (and the time) and either return the parsed request or throw an AdsGraphError.
 */

/** Customer-list uploads: at most 10,000 rows per call. */
export const MAX_AUDIENCE_ROWS = 10_000;
/** Conversions API: at most 1,000 events per request. */
export const MAX_EVENTS = 1_000;
/** Conversions API: events older than 7 days reject the request. */
export const MAX_EVENT_AGE_S = 7 * 24 * 3600;
/** Clock skew tolerated before an event counts as "in the future" (sandbox choice). */
export const FUTURE_TOLERANCE_S = 60;
/** At most this many invalid rows are described in `invalid_entry_samples`. */
export const MAX_INVALID_SAMPLES = 10;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

// ---------------------------------------------------------------------------------------------
// Customer-list audiences: POST/DELETE /{audience_id}/users
// ---------------------------------------------------------------------------------------------

/** Single-key schemas and the identifier type each one carries. */
const SINGLE_KEYS: Record<string, IdentifierType> = {
  EMAIL_SHA256: 'EMAIL',
  PHONE_SHA256: 'PHONE',
  MOBILE_ADVERTISER_ID: 'MADID',
};
/** Multi-key schema fields that are normalized, then SHA-256 hashed. */
const HASHED_KEYS = [
  'EMAIL',
  'PHONE',
  'GEN',
  'DOBY',
  'DOBM',
  'DOBD',
  'LN',
  'FN',
  'FI',
  'CT',
  'ST',
  'ZIP',
  'COUNTRY',
] as const;
/** Multi-key schema fields sent as they are. */
const PLAIN_KEYS = ['EXTERN_ID', 'MADID'] as const;
/** Identifies a person on its own (the other fields only narrow a match). */
const IDENTIFYING = new Set<string>(['EMAIL', 'PHONE', 'EXTERN_ID', 'MADID']);

export type IdentifierType = (typeof HASHED_KEYS)[number] | (typeof PLAIN_KEYS)[number];

export interface UploadSession {
  sessionId: number;
  batchSeq: number;
  lastBatchFlag: boolean;
  estimatedNumTotal?: number;
}

export interface AudienceUpload {
  /** Typed identifiers (`PHONE:<hex>`) of each valid row that identifies a person. */
  rows: string[][];
  numReceived: number;
  numInvalid: number;
  /** Row index → reason, for the first invalid rows (never the value: it may be a raw phone number). */
  invalidSamples: Record<string, string>;
  session: UploadSession;
}

function audienceError(userMsg: string, data?: Record<string, unknown>): AdsGraphError {
  return invalidParameter(AdsErrorSubcodes.InvalidAudiencePayload, 'Invalid customer list upload', userMsg, data);
}

/** `payload` and `session` may come as objects (JSON body) or as JSON strings (form fields). */
function objectParam(body: Record<string, unknown>, name: string): Record<string, unknown> {
  let value = body[name];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw audienceError(`${name} is not valid JSON`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw audienceError(`${name} is required and must be an object`);
  }
  return value as Record<string, unknown>;
}

function parseSchema(raw: unknown): { types: IdentifierType[]; lookalikeColumn: number } {
  const keys = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw audienceError('payload.schema must be a schema key or a non-empty array of them');
  }
  const names = keys;
  if (names.length === 1 && SINGLE_KEYS[names[0]]) {
    return { types: [SINGLE_KEYS[names[0]]], lookalikeColumn: -1 };
  }
  const types: IdentifierType[] = [];
  let lookalikeColumn = -1;
  for (const [i, name] of names.entries()) {
    if (name === 'LOOKALIKE_VALUE') {
      lookalikeColumn = i;
      types.push('EXTERN_ID'); // placeholder, never read
    } else if ((HASHED_KEYS as readonly string[]).includes(name) || (PLAIN_KEYS as readonly string[]).includes(name)) {
      types.push(name as IdentifierType);
    } else if (SINGLE_KEYS[name]) {
      throw audienceError(`${name} is a single-key schema and cannot be combined with other keys`);
    } else {
      throw audienceError(`unsupported schema key at schema[${i}]`, { schema_index: i });
    }
  }
  if (!names.some((n) => IDENTIFYING.has(n))) {
    throw audienceError('the schema has no identifying key (EMAIL, PHONE, EXTERN_ID or MADID)');
  }
  return { types, lookalikeColumn };
}

function parseSession(raw: Record<string, unknown>): UploadSession {
  const { session_id, batch_seq, last_batch_flag, estimated_num_total } = raw;
  if (!Number.isSafeInteger(session_id) || (session_id as number) < 1) {
    throw audienceError('session.session_id must be a positive integer');
  }
  if (!Number.isSafeInteger(batch_seq) || (batch_seq as number) < 1) {
    throw audienceError('session.batch_seq must be an integer ≥ 1');
  }
  if (typeof last_batch_flag !== 'boolean') {
    throw audienceError('session.last_batch_flag must be a boolean');
  }
  if (
    estimated_num_total !== undefined &&
    (!Number.isSafeInteger(estimated_num_total) || (estimated_num_total as number) < 0)
  ) {
    throw audienceError('session.estimated_num_total must be a non-negative integer');
  }
  return {
    sessionId: session_id as number,
    batchSeq: batch_seq as number,
    lastBatchFlag: last_batch_flag,
    ...(estimated_num_total !== undefined ? { estimatedNumTotal: estimated_num_total as number } : {}),
  };
}

/**
 * Parses an add/remove request. Structural problems (no payload or session, unknown schema key,
 * a row that is not an array of the schema's length, more than 10,000 rows) reject the call with
 * a 400; a row whose values are not valid (a hashed field that is not lowercase SHA-256 hex, no
 * identifier at all) is counted in `num_invalid_entries` and skipped, as the real platform does.
 */
export function parseAudienceUpload(body: unknown): AudienceUpload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw audienceError('the request body must be an object with payload and session');
  }
  const payload = objectParam(body as Record<string, unknown>, 'payload');
  const session = parseSession(objectParam(body as Record<string, unknown>, 'session'));
  const { types, lookalikeColumn } = parseSchema(payload.schema);
  const data = payload.data;
  if (!Array.isArray(data) || data.length === 0) {
    throw audienceError('payload.data must be a non-empty array of rows');
  }
  if (data.length > MAX_AUDIENCE_ROWS) {
    throw invalidParameter(
      AdsErrorSubcodes.TooManyRows,
      'Too many users in one request',
      `payload.data has ${data.length} rows; at most ${MAX_AUDIENCE_ROWS} are accepted per call`,
      { max_rows: MAX_AUDIENCE_ROWS, rows: data.length },
    );
  }
  const rows: string[][] = [];
  const invalidSamples: Record<string, string> = {};
  let numInvalid = 0;
  for (const [index, row] of (data as unknown[]).entries()) {
    if (!Array.isArray(row) || row.length !== types.length) {
      throw audienceError(`payload.data[${index}] must be an array of ${types.length} value(s), one per schema key`, {
        row_index: index,
      });
    }
    const problem = rowIdentifiers(row as unknown[], types, lookalikeColumn);
    if (typeof problem === 'string') {
      numInvalid += 1;
      if (Object.keys(invalidSamples).length < MAX_INVALID_SAMPLES) {
        invalidSamples[String(index)] = problem;
      }
    } else {
      rows.push(problem);
    }
  }
  return { rows, numReceived: data.length, numInvalid, invalidSamples, session };
}

/** The row's typed identifiers, or why it is invalid. */
function rowIdentifiers(row: unknown[], types: IdentifierType[], lookalikeColumn: number): string[] | string {
  const identifiers: string[] = [];
  for (const [column, value] of row.entries()) {
    const type = types[column];
    if (column === lookalikeColumn) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        return `LOOKALIKE_VALUE must be a non-negative number`;
      }
      continue;
    }
    if (value === '' || value === null) {
      continue; // a missing value in a multi-key row
    }
    if ((HASHED_KEYS as readonly string[]).includes(type)) {
      if (!isSha256Hex(value)) {
        return `${type} is not a SHA-256 hash (64 lowercase hex characters)`;
      }
    } else if (typeof value !== 'string' || value.length > 256) {
      return `${type} must be a string of at most 256 characters`;
    }
    if (IDENTIFYING.has(type)) {
      identifiers.push(`${type}:${value}`);
    }
  }
  if (identifiers.length === 0) {
    return 'the row has no identifying value';
  }
  return identifiers;
}

// ---------------------------------------------------------------------------------------------
// Conversions API: POST /{dataset_id}/events
// ---------------------------------------------------------------------------------------------

export const ACTION_SOURCES = [
  'email',
  'website',
  'app',
  'phone_call',
  'chat',
  'physical_store',
  'system_generated',
  'business_messaging',
  'other',
] as const;
export const MESSAGING_CHANNELS = ['whatsapp', 'messenger', 'instagram'] as const;
/** `user_data` fields that must be SHA-256 hashed (lowercase hex); each a string or an array of them. */
const HASHED_USER_DATA = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country'] as const;
/** `user_data` fields any one of which makes the event matchable. */
const CUSTOMER_INFO = [
  ...HASHED_USER_DATA,
  'external_id',
  'client_ip_address',
  'client_user_agent',
  'fbc',
  'fbp',
  'ctwa_clid',
  'whatsapp_business_account_id',
  'page_scoped_user_id',
  'lead_id',
] as const;

export interface ServerEvent {
  event_name: string;
  event_time: number;
  event_id: string;
  action_source: (typeof ACTION_SOURCES)[number];
  messaging_channel?: string;
  user_data: Record<string, unknown>;
  custom_data?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface EventsBatch {
  events: ServerEvent[];
  testEventCode?: string;
}

function eventError(
  index: number,
  field: string,
  userMsg: string,
  subcode: number = AdsErrorSubcodes.InvalidEventField,
  title = 'Invalid event parameter',
): AdsGraphError {
  return invalidParameter(
    subcode,
    title,
    `data[${index}].${field}: ${userMsg}`,
    { event_index: index, field },
    `Invalid parameter at data[${index}]`,
  );
}

function batchError(userMsg: string, subcode: number = AdsErrorSubcodes.InvalidEventField): AdsGraphError {
  return invalidParameter(subcode, 'Invalid events batch', userMsg);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a Conversions API request. One invalid event rejects the whole request (HTTP 400), as
 * the real API does; the error names the event: `error_data.event_index` (and `field`), and
 * `data[<index>]` in the message.
 */
export function parseEventsBatch(body: unknown, nowS: number): EventsBatch {
  if (!isObject(body)) {
    throw batchError('the request body must be an object with a data array');
  }
  let data = body.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      throw batchError('data is not valid JSON');
    }
  }
  if (!Array.isArray(data) || data.length === 0) {
    throw batchError('data must be a non-empty array of events');
  }
  if (data.length > MAX_EVENTS) {
    throw batchError(
      `data has ${data.length} events; at most ${MAX_EVENTS} are accepted per request`,
      AdsErrorSubcodes.TooManyEvents,
    );
  }
  const testEventCode = body.test_event_code;
  if (
    testEventCode !== undefined &&
    (typeof testEventCode !== 'string' || testEventCode.length === 0 || testEventCode.length > 100)
  ) {
    throw batchError('test_event_code must be a non-empty string');
  }
  const events = (data as unknown[]).map((event, index) => checkEvent(event, index, nowS));
  return { events, ...(testEventCode !== undefined ? { testEventCode } : {}) };
}

function checkEvent(event: unknown, i: number, nowS: number): ServerEvent {
  if (!isObject(event)) {
    throw eventError(i, '', 'the event must be an object');
  }
  const { event_name, event_time, event_id, action_source, messaging_channel, user_data, custom_data } = event;
  if (typeof event_name !== 'string' || event_name.trim().length === 0 || event_name.length > 256) {
    throw eventError(i, 'event_name', 'required, a non-empty string');
  }
  if (typeof event_time !== 'number' || !Number.isSafeInteger(event_time)) {
    throw eventError(i, 'event_time', 'required, an integer Unix time in seconds');
  }
  if (event_time > nowS + FUTURE_TOLERANCE_S) {
    throw eventError(
      i,
      'event_time',
      'the event time is in the future',
      AdsErrorSubcodes.EventInFuture,
      'Event Timestamp In Future',
    );
  }
  if (event_time < nowS - MAX_EVENT_AGE_S) {
    throw eventError(
      i,
      'event_time',
      'the event is more than 7 days old',
      AdsErrorSubcodes.EventTooOld,
      'Event Timestamp Too Old',
    );
  }
  if (typeof event_id !== 'string' || event_id.length === 0 || event_id.length > 256) {
    throw eventError(i, 'event_id', 'required by the sandbox (deduplication), a string of 1-256 characters');
  }
  if (typeof action_source !== 'string' || !(ACTION_SOURCES as readonly string[]).includes(action_source)) {
    throw eventError(i, 'action_source', `required, one of ${ACTION_SOURCES.join(', ')}`);
  }
  if (action_source === 'business_messaging' && messaging_channel === undefined) {
    throw eventError(i, 'messaging_channel', 'required when action_source is business_messaging');
  }
  if (
    messaging_channel !== undefined &&
    (typeof messaging_channel !== 'string' || !(MESSAGING_CHANNELS as readonly string[]).includes(messaging_channel))
  ) {
    throw eventError(i, 'messaging_channel', `one of ${MESSAGING_CHANNELS.join(', ')}`);
  }
  if (!isObject(user_data)) {
    throw eventError(i, 'user_data', 'required, an object');
  }
  for (const field of HASHED_USER_DATA) {
    const value = user_data[field];
    if (value === undefined) {
      continue;
    }
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    if (values.length === 0 || !values.every(isSha256Hex)) {
      throw eventError(
        i,
        `user_data.${field}`,
        'must be SHA-256 hashed (64 lowercase hex characters), a string or an array of them',
      );
    }
  }
  for (const field of ['ctwa_clid', 'whatsapp_business_account_id', 'external_id', 'fbc', 'fbp'] as const) {
    const value = user_data[field];
    const values = value === undefined ? [] : Array.isArray(value) ? (value as unknown[]) : [value];
    if (!values.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 1000)) {
      throw eventError(i, `user_data.${field}`, 'must be a non-empty string');
    }
  }
  if (
    typeof user_data.whatsapp_business_account_id === 'string' &&
    !/^\d{1,32}$/.test(user_data.whatsapp_business_account_id)
  ) {
    throw eventError(i, 'user_data.whatsapp_business_account_id', 'must be a numeric id');
  }
  if (!CUSTOMER_INFO.some((field) => user_data[field] !== undefined)) {
    throw eventError(
      i,
      'user_data',
      'the event has no customer information parameters',
      AdsErrorSubcodes.InsufficientCustomerInfo,
      'Insufficient customer information',
    );
  }
  if (custom_data !== undefined && !isObject(custom_data)) {
    throw eventError(i, 'custom_data', 'must be an object');
  }
  return event as ServerEvent;
}
