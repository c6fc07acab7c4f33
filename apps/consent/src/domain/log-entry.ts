import { createHash } from 'node:crypto';
import { ConsentMethod } from '@custody/contracts';
import { canonicalBytes } from '@custody/transparency-log';

/**
 * Entries of the verifiable consent log, version 1. Each is serialized as canonical JSON and
 * becomes one leaf: SHA-256(0x00 || canonical entry). docs/consent-log-format.md specifies every
 * field; change nothing here without a new `v` and a documented migration.
 * No entry holds personal data: customers appear only as a keyed pseudonym (`subject`).
 */
export const ENTRY_VERSION = 1;

export type EntryKind = 'consent.prompted' | 'consent.granted' | 'consent.revoked';

/** A purpose version as an entry names it. */
export interface EntryPurpose {
  key: string;
  dataUse: string;
  version?: number;
  language?: string;
  wordingHash?: string;
}

export interface EntryEvidence {
  /** For tenant-recorded consent: what kind of record proves it. */
  type?: string;
  /** The tenant's own reference to that record (an opaque id, not personal data). */
  reference?: string;
  /** SHA-256 (hex) of the evidence document, when the tenant has one. */
  sha256?: string;
  /** The network message id of the customer's reply or tap. */
  messageId?: string;
}

export interface EntrySource {
  /** `api` (a tenant's client) or `chat` (the customer, in the conversation). */
  channel: 'api' | 'chat';
  /** The API client that recorded it (the token's subject). */
  actor?: string;
}

interface EntryBase {
  v: typeof ENTRY_VERSION;
  index: number;
  id: string;
  tenant: string;
  subject: string;
  source: EntrySource;
  /** When it happened (prompt shown, consent given or withdrawn). */
  occurredAt: string;
  /** When the log appended it. */
  recordedAt: string;
}

export interface PromptedEntry extends EntryBase {
  kind: 'consent.prompted';
  /** The exact wording versions the customer was shown. */
  purposes: EntryPurpose[];
  /** The network message id of the message that showed them, when known. */
  messageId?: string;
}

export interface ChangeEntry extends EntryBase {
  kind: 'consent.granted' | 'consent.revoked';
  purpose: EntryPurpose;
  method: ConsentMethod;
  /** Grants: the id of the `consent.prompted` entry that showed this wording to this subject. */
  prompt?: string;
  evidence?: EntryEvidence;
}

export type LogEntry = PromptedEntry | ChangeEntry;

/** A log entry before the log assigns its index, id and recording time. */
export type EntryDraft = DistributiveOmit<LogEntry, 'v' | 'index' | 'id' | 'recordedAt'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function finalizeEntry(draft: EntryDraft, index: number, id: string, recordedAt: string): LogEntry {
  return { v: ENTRY_VERSION, index, id, recordedAt, ...draft };
}

/** The leaf data: canonical JSON, in which members left undefined do not appear. */
export function entryBytes(entry: LogEntry): Buffer {
  return canonicalBytes(entry);
}

/** The canonical content of a purpose's wording version; its SHA-256 (hex) identifies it. */
export function wordingContent(w: {
  purpose: string;
  dataUse: string;
  language: string;
  version: number;
  text: string;
}): {
  bytes: Buffer;
  hash: string;
} {
  const bytes = canonicalBytes({ type: 'custody.consent.wording.v1', ...w });
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
}
