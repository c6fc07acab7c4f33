import { DestinationError } from './isolation';

interface GraphErrorBody {
  error?: {
    message?: unknown;
    type?: unknown;
    code?: unknown;
    error_subcode?: unknown;
    error_user_msg?: unknown;
    fbtrace_id?: unknown;
    error_data?: unknown;
  };
}

const INDEX_KEYS = ['index', 'event_index', 'failed_event_index', 'row_index'];

function indexFromData(data: unknown): number | undefined {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return indexFromText(value as string);
    }
  }
  if (value && typeof value === 'object') {
    for (const key of INDEX_KEYS) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isInteger(v)) {
        return v;
      }
      if (typeof v === 'string' && /^\d+$/.test(v)) {
        return Number(v);
      }
    }
  }
  return undefined;
}

/** `data[3]`, `index 3`, `event at index 3`: how Graph-style messages point at an item. */
function indexFromText(text: string): number | undefined {
  const match = /data\[(\d+)\]/.exec(text) ?? /\bindex[: ]+(\d+)/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * Reads a Graph-style error response (`{error:{message, code, error_subcode, fbtrace_id,
 * error_data}}`) into what the ledger keeps, and the index of the offending item when the
 * destination names one (in `error_data` or the message). Unknown shapes still yield an error.
 */
export function parseGraphError(status: number, body: unknown): { error: DestinationError; index?: number } {
  const e = (body as GraphErrorBody | null)?.error;
  const message = typeof e?.message === 'string' ? e.message.slice(0, 500) : `HTTP ${status}`;
  const error: DestinationError = { status, message };
  if (typeof e?.code === 'number') {
    error.code = e.code;
  }
  if (typeof e?.error_subcode === 'number') {
    error.subcode = e.error_subcode;
  }
  if (typeof e?.fbtrace_id === 'string') {
    error.fbtraceId = e.fbtrace_id.slice(0, 100);
  }
  const index =
    indexFromData(e?.error_data) ??
    (typeof e?.error_user_msg === 'string' ? indexFromText(e.error_user_msg) : undefined) ??
    (typeof e?.message === 'string' ? indexFromText(e.message) : undefined);
  return index === undefined ? { error } : { error, index };
}

/** 429 and 5xx are the destination's transient trouble; other 4xx are about the request. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
