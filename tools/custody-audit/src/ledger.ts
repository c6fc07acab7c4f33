import { encodeHash } from '@custody/transparency-log';

/** A consent reference as the marketing export's ledger keeps it (GET …/ledger, `consent[]`). */
export interface LedgerConsentRef {
  requestedDataUse: string;
  purposeKey: string;
  dataUse: string;
  subject: string;
  eventId: string;
  logIndex: number;
  leafHash: string;
  effectiveAt: string;
  treeSize: number;
  /** The checkpoint the check was proved against, when the ledger cites one. */
  checkpoint?: { treeSize: number; rootHash: string };
}

export interface LedgerRecord {
  id: string;
  operation: string;
  status: string;
  reason: string | null;
  consent: LedgerConsentRef[];
  dataUses: string[];
  checkedAt: string | null;
}

/** What the checker keeps of a log entry: only entries of subjects the ledger names. */
interface LoggedEntry {
  index: number;
  id: string;
  kind: string;
  subject: string;
  purposeKey?: string;
  dataUse?: string;
  recordedAt: number;
  leafHash: string;
}

export interface LedgerProblem {
  record: string;
  message: string;
}

const covers = (granted: string, requested: string): boolean =>
  requested === granted || requested.startsWith(`${granted}.`);

/**
 * Checks a marketing export's ledger against a verified consent log: every export (`sent`) was
 * checked, at `checkedAt`, against a grant that is in the log where the ledger says, covers each
 * data use exported, was logged before the check, and was not followed by a revoke of the same
 * subject and purpose logged before the check; every removal follows the revoke it cites. Keeps
 * only the entries of the subjects the ledger names, so the log streams through.
 */
export class LedgerChecker {
  private readonly subjects: Set<string>;
  private readonly entries = new Map<number, LoggedEntry>();
  private readonly bySubjectPurpose = new Map<string, LoggedEntry[]>();
  /** Cited checkpoints (size → root) that the log's roots must match. */
  readonly citedRoots = new Map<number, string>();

  constructor(private readonly records: LedgerRecord[]) {
    this.subjects = new Set(records.flatMap((r) => (r.consent ?? []).map((c) => c.subject)));
    for (const c of records.flatMap((r) => r.consent ?? [])) {
      if (c.checkpoint) {
        this.citedRoots.set(c.checkpoint.treeSize, c.checkpoint.rootHash);
      }
    }
  }

  /** Feeds one verified log entry with its leaf hash. */
  add(entry: Record<string, unknown>, leafHash: Buffer): void {
    if (typeof entry.subject !== 'string' || !this.subjects.has(entry.subject)) {
      return;
    }
    const purpose = entry.purpose as { key?: string; dataUse?: string } | undefined;
    const logged: LoggedEntry = {
      index: Number(entry.index),
      id: String(entry.id),
      kind: String(entry.kind),
      subject: entry.subject,
      purposeKey: purpose?.key,
      dataUse: purpose?.dataUse,
      recordedAt: Date.parse(String(entry.recordedAt)),
      leafHash: encodeHash(leafHash),
    };
    this.entries.set(logged.index, logged);
    if (logged.purposeKey) {
      const key = `${logged.subject}\n${logged.purposeKey}`;
      this.bySubjectPurpose.set(key, [...(this.bySubjectPurpose.get(key) ?? []), logged]);
    }
  }

  /** Problems, one per failed claim; `logSize` is how many entries the verified log holds. */
  check(
    logSize: number,
    rootAt: (size: number) => string | undefined,
  ): { exports: number; removals: number; skipped: number; problems: LedgerProblem[] } {
    const problems: LedgerProblem[] = [];
    let exports = 0;
    let removals = 0;
    let skipped = 0;
    for (const record of this.records) {
      const fail = (message: string) => problems.push({ record: record.id, message });
      const isExport = record.status === 'sent' && (record.operation === 'add' || record.operation === 'event');
      const isRemoval = record.status === 'removed' && record.reason === 'revoked';
      if (!isExport && !isRemoval) {
        skipped += 1;
        continue;
      }
      if (isExport) {
        exports += 1;
      } else {
        removals += 1;
      }
      const checkedAt = record.checkedAt === null ? NaN : Date.parse(record.checkedAt);
      if (Number.isNaN(checkedAt)) {
        fail('has no checkedAt: nothing shows when consent was checked');
        continue;
      }
      if (isExport) {
        for (const use of record.dataUses ?? []) {
          if (!(record.consent ?? []).some((c) => c.requestedDataUse === use)) {
            fail(`exported for ${use} without a consent reference for it`);
          }
        }
      }
      for (const ref of record.consent ?? []) {
        const at = `entry ${ref.logIndex}`;
        if (ref.logIndex >= logSize) {
          fail(`cites ${at}, beyond the ${logSize} entries of the verified log`);
          continue;
        }
        if (ref.checkpoint) {
          const root = rootAt(ref.checkpoint.treeSize);
          if (ref.checkpoint.treeSize <= ref.logIndex) {
            fail(`cites the checkpoint of size ${ref.checkpoint.treeSize}, which does not contain ${at}`);
          } else if (root !== ref.checkpoint.rootHash) {
            fail(
              `cites a checkpoint of size ${ref.checkpoint.treeSize} with root ${ref.checkpoint.rootHash}, but the verified log's root at that size is ${root ?? '(beyond the log)'}`,
            );
          }
        }
        const entry = this.entries.get(ref.logIndex);
        if (!entry || entry.subject !== ref.subject) {
          fail(`cites ${at} for subject ${ref.subject}, but the log's ${at} is not about that subject`);
          continue;
        }
        if (entry.leafHash !== ref.leafHash || entry.id !== ref.eventId) {
          fail(`cites ${at} as ${ref.eventId} (${ref.leafHash}), but the log holds ${entry.id} (${entry.leafHash})`);
          continue;
        }
        const wanted = isExport ? 'consent.granted' : 'consent.revoked';
        if (entry.kind !== wanted || entry.purposeKey !== ref.purposeKey || entry.dataUse !== ref.dataUse) {
          fail(
            `cites ${at}, a ${entry.kind} of purpose ${entry.purposeKey ?? '?'}, not a ${wanted} of ${ref.purposeKey} (${ref.dataUse})`,
          );
          continue;
        }
        if (isExport && !covers(entry.dataUse, ref.requestedDataUse)) {
          fail(`cites a grant of ${entry.dataUse}, which does not cover ${ref.requestedDataUse}`);
        }
        if (entry.recordedAt > checkedAt) {
          fail(
            `cites ${at}, logged at ${new Date(entry.recordedAt).toISOString()}, after the check at ${record.checkedAt}`,
          );
          continue;
        }
        if (isExport) {
          const later = (this.bySubjectPurpose.get(`${ref.subject}\n${ref.purposeKey}`) ?? []).find(
            (e) => e.index > entry.index && e.kind === 'consent.revoked' && e.recordedAt <= checkedAt,
          );
          if (later) {
            fail(
              `was exported at ${record.checkedAt} on the grant at ${at}, but that consent was revoked by entry ${later.index}, logged at ${new Date(later.recordedAt).toISOString()}, before the export`,
            );
          }
        }
      }
    }
    return { exports, removals, skipped, problems };
  }
}
