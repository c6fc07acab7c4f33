import { canonicalize } from './canonical-json';
import { CompactRange } from './compact-range';
import { decodeHash, encodeHash, EMPTY_ROOT, leafHash } from './hashes';
import { objectMembers, StrictJsonError } from './strict-json';

/** One line of a log export (JSON Lines): the leaf's index, the hash the log stored, the entry. */
export interface ExportLine {
  index: number;
  leafHash: string;
  entry: Record<string, unknown>;
}

/** What an export is checked against: a verified tree head or checkpoint (size and root of one log). */
export interface TrustedHead {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

export type ExportProblemCode =
  | 'missing'
  | 'out_of_order'
  | 'duplicate'
  | 'malformed'
  | 'duplicate_key'
  | 'not_canonical'
  | 'hash_mismatch'
  | 'leaf_hint_mismatch'
  | 'index_mismatch'
  | 'tenant_mismatch'
  | 'baseline_mismatch'
  | 'truncated';

export interface ExportProblem {
  /** The first leaf index the problem concerns. */
  index: number;
  code: ExportProblemCode;
  message: string;
}

export interface HeadCheck {
  treeSize: number;
  ok: boolean;
  expectedRoot: string;
  computedRoot?: string;
  /** Whether the log's own stored leaf hashes (the lines' leafHash) reproduce the signed root. */
  storedHashesMatch?: boolean;
  message?: string;
}

export interface ExportReport {
  ok: boolean;
  entries: number;
  heads: HeadCheck[];
  /** The lowest index at which anything differs, or null when everything matches. */
  firstDifferingIndex: number | null;
  /** When only a head's root mismatched: the range of indices the difference must lie in. */
  differenceWithin?: { from: number; to: number };
  problems: ExportProblem[];
  /** Problems beyond the first 100 are counted, not kept. */
  moreProblems: number;
}

const MAX_PROBLEMS = 100;
const LINE_MEMBERS = new Set(['index', 'leafHash', 'entry']);

/**
 * Streams an export through the Merkle tree in O(log n) memory and checks it against signed
 * tree heads. Each leaf is the hash of the entry's bytes exactly as exported, and those bytes must
 * be the canonical JSON of the entry (so no duplicate keys, no reordering, no other spelling of
 * the same value: what a person reads is what was hashed). The line's own `leafHash` (what the log
 * stored) is only used to say *where* something differs: when the stored hashes reproduce a
 * signed root they are authentic, so the first entry whose hash differs from its stored hash is
 * the first altered entry.
 */
export class ExportVerifier {
  private readonly computed = CompactRange.empty();
  private readonly stored = CompactRange.empty();
  private readonly heads: TrustedHead[];
  private readonly headChecks: HeadCheck[] = [];
  private readonly problems: ExportProblem[] = [];
  private moreProblems = 0;
  private storedUsable = true;
  /** The highest line index seen so far, and the indices skipped over that may still turn up. */
  private maxIndex = -1;
  private readonly gaps: Array<[number, number]> = [];
  /** Positions where the line's leafHash hint differs from its entry's hash (classified at the end). */
  private readonly hintMismatches: number[] = [];
  private readonly tenant?: string;
  private readonly watched = new Set<number>();
  /** The root the entries reproduce at each watched size (base64), filled as the export streams. */
  readonly rootsAt = new Map<number, string>();

  /**
   * `heads` must come from one log; `origin` (when known) is that log's name, and entries whose
   * `tenant` is not the origin's last path segment are reported.
   */
  constructor(heads: TrustedHead[], origin?: string) {
    this.heads = [...heads].sort((a, b) => a.treeSize - b.treeSize);
    this.tenant = origin?.split('/').pop();
    for (const head of this.heads.filter((h) => h.treeSize === 0)) {
      this.checkHead(head);
    }
  }

  /** Also keep the root at these sizes (e.g. checkpoints a ledger cites), in `rootsAt`. */
  watchSizes(sizes: Iterable<number>): void {
    for (const size of sizes) {
      this.watched.add(size);
    }
  }

  get position(): number {
    return this.computed.size;
  }

  /** Feeds the next line; `baselineLeaf` is the leaf hash an earlier, trusted export had at this position. */
  addLine(text: string, baselineLeaf?: Buffer): Buffer {
    const position = this.computed.size;
    let computed: Buffer | undefined;
    let stored: Buffer | undefined;
    let members: Map<string, string> | undefined;
    try {
      members = objectMembers(text);
      const unexpected = [...members.keys()].filter((k) => !LINE_MEMBERS.has(k));
      if (unexpected.length) {
        throw new StrictJsonError(`unexpected member ${unexpected.map((k) => JSON.stringify(k)).join(', ')}`);
      }
      if (!members.has('index') || !members.get('entry')?.startsWith('{')) {
        throw new StrictJsonError('an export line needs "index" and an "entry" object');
      }
    } catch (error) {
      members = undefined;
      const strict = error instanceof StrictJsonError ? error : new StrictJsonError(String(error));
      this.report(position, strict.code, `line at position ${position} is not a valid export line: ${strict.message}`);
    }
    if (members) {
      const index = JSON.parse(members.get('index')!) as unknown;
      this.checkSequence(position, index);
      const entryText = members.get('entry')!;
      const entryBytes = Buffer.from(entryText, 'utf8');
      computed = leafHash(entryBytes);
      const hint = members.get('leafHash');
      try {
        stored = decodeHash(hint === undefined ? undefined : JSON.parse(hint), 'leafHash');
      } catch {
        this.storedUsable = false;
      }
      const entry = JSON.parse(entryText) as Record<string, unknown>;
      let canonicalOk = false;
      try {
        const canonical = canonicalize(entry);
        canonicalOk = canonical === entryText;
        if (!canonicalOk) {
          const at = firstDifference(canonical, entryText);
          this.report(
            position,
            'not_canonical',
            `entry ${position} is not written in canonical JSON (it first differs from its canonical form at character ${at})`,
          );
        }
      } catch (error) {
        this.report(
          position,
          'not_canonical',
          `entry ${position} cannot be canonicalized: ${(error as Error).message}`,
        );
      }
      if (entry.index !== undefined && entry.index !== index) {
        this.report(
          position,
          'index_mismatch',
          `line ${String(index)} holds an entry that says it is entry ${JSON.stringify(entry.index)}`,
        );
      }
      if (this.tenant !== undefined && typeof entry.tenant === 'string' && entry.tenant !== this.tenant) {
        this.report(
          position,
          'tenant_mismatch',
          `entry ${position} belongs to tenant ${entry.tenant}, not to the log ${this.tenant}`,
        );
      }
      if (stored && !stored.equals(computed) && canonicalOk) {
        this.hintMismatches.push(position);
      }
    } else {
      // Taken to be in its place, so the lines after it are not reported as out of sequence.
      this.maxIndex += 1;
      this.storedUsable = false;
    }
    computed ??= leafHash(Buffer.from(text, 'utf8'));
    if (baselineLeaf && !baselineLeaf.equals(computed)) {
      this.report(position, 'baseline_mismatch', `entry ${position} differs from the baseline export`);
    }
    this.computed.append(computed);
    this.stored.append(stored ?? computed);
    if (this.watched.has(this.computed.size)) {
      this.rootsAt.set(this.computed.size, encodeHash(this.computed.root()));
    }
    for (const head of this.heads) {
      if (head.treeSize === this.computed.size) {
        this.checkHead(head);
      }
    }
    return computed;
  }

  finish(): ExportReport {
    const count = this.computed.size;
    for (const [from, to] of this.gaps) {
      this.report(
        from,
        'missing',
        to > from ? `entries ${from}..${to} are missing from the export` : `entry ${from} is missing from the export`,
      );
    }
    this.gaps.length = 0;
    for (const position of this.hintMismatches) {
      const covering = this.headChecks.filter((h) => h.treeSize > position);
      if (covering.length > 0 && covering.every((h) => h.ok)) {
        this.report(
          position,
          'leaf_hint_mismatch',
          `the line's leafHash is not the hash of entry ${position}, but the entry is authentic (the entries reproduce the signed root of size ${covering[0].treeSize}): the hint was altered, not the entry`,
        );
      } else {
        this.report(
          position,
          'hash_mismatch',
          `entry ${position} does not hash to the leaf hash the log stored for it`,
        );
      }
    }
    for (const head of this.heads.filter((h) => h.treeSize > count)) {
      const message = `export ends after ${count} entries; the signed head covers ${head.treeSize}`;
      this.headChecks.push({ treeSize: head.treeSize, ok: false, expectedRoot: encodeHash(head.rootHash), message });
      this.report(count, 'truncated', message);
    }
    const first = this.problems.length ? Math.min(...this.problems.map((p) => p.index)) : null;
    const report: ExportReport = {
      ok: this.problems.length === 0 && this.headChecks.every((h) => h.ok),
      entries: count,
      heads: this.headChecks,
      firstDifferingIndex: first,
      problems: [...this.problems].sort((a, b) => a.index - b.index),
      moreProblems: this.moreProblems,
    };
    if (first === null) {
      // Only a root differed: bracket the difference between the largest matching head and the
      // smallest failing one.
      const failing = this.headChecks.filter((h) => !h.ok).map((h) => h.treeSize);
      if (failing.length) {
        const to = Math.min(...failing);
        const from = Math.max(0, ...this.headChecks.filter((h) => h.ok && h.treeSize < to).map((h) => h.treeSize));
        report.differenceWithin = { from, to: to - 1 };
      }
    }
    return report;
  }

  /**
   * Line indices must count up from 0 by one. A jump forward leaves a gap that is reported as
   * missing only if the skipped indices never turn up; an index that turns up late is reported
   * once, as out of order (so swapping two lines is one problem, not a missing entry after them).
   */
  private checkSequence(position: number, index: unknown): void {
    if (!Number.isSafeInteger(index) || (index as number) < 0) {
      this.report(
        position,
        'malformed',
        `line at position ${position} has index ${JSON.stringify(index)}, not a non-negative integer`,
      );
      return;
    }
    const i = index as number;
    if (i === this.maxIndex + 1) {
      this.maxIndex = i;
      return;
    }
    if (i > this.maxIndex + 1) {
      this.gaps.push([this.maxIndex + 1, i - 1]);
      this.maxIndex = i;
      return;
    }
    const gap = this.gaps.findIndex(([from, to]) => from <= i && i <= to);
    if (gap < 0) {
      this.report(position, 'duplicate', `line at position ${position} repeats index ${i}`);
      return;
    }
    const [from, to] = this.gaps[gap];
    this.gaps.splice(
      gap,
      1,
      ...(
        [
          [from, i - 1],
          [i + 1, to],
        ] as Array<[number, number]>
      ).filter(([a, b]) => a <= b),
    );
    this.report(i, 'out_of_order', `entry ${i} appears at position ${position}, after entry ${this.maxIndex}`);
  }

  private checkHead(head: TrustedHead): void {
    const root = head.treeSize === 0 ? EMPTY_ROOT : this.computed.root();
    const ok = root.equals(head.rootHash);
    const storedRoot = head.treeSize === 0 ? EMPTY_ROOT : this.stored.root();
    const check: HeadCheck = {
      treeSize: head.treeSize,
      ok,
      expectedRoot: encodeHash(head.rootHash),
      computedRoot: encodeHash(root),
      storedHashesMatch: this.storedUsable && storedRoot.equals(head.rootHash),
    };
    if (!ok) {
      check.message =
        `the first ${head.treeSize} entries do not reproduce the root signed for size ${head.treeSize}` +
        (check.storedHashesMatch
          ? '; the log’s stored leaf hashes do, so entries were altered after they were logged'
          : '');
    }
    this.headChecks.push(check);
  }

  private report(index: number, code: ExportProblemCode, message: string): void {
    if (this.problems.length >= MAX_PROBLEMS) {
      this.moreProblems += 1;
      return;
    }
    this.problems.push({ index, code, message });
  }
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) {
    i++;
  }
  return i;
}
