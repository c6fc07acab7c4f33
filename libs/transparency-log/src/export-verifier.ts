import { canonicalBytes } from './canonical-json';
import { CompactRange } from './compact-range';
import { decodeHash, encodeHash, EMPTY_ROOT, leafHash } from './hashes';
import { VerifiedTreeHead } from './tree-head';

/** One line of a log export (JSON Lines): the leaf's index, the hash the log stored, the entry. */
export interface ExportLine {
  index: number;
  leafHash: string;
  entry: Record<string, unknown>;
}

export interface ExportProblem {
  /** The first leaf index the problem concerns. */
  index: number;
  /** Stable code: missing, out_of_order, malformed, not_canonical, hash_mismatch, index_mismatch, baseline_mismatch, truncated. */
  code: string;
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

/**
 * Streams an export through the Merkle tree in O(log n) memory and checks it against signed
 * tree heads. Every line is recomputed from its entry (leaf = SHA-256(0x00 || canonical entry));
 * the line's own `leafHash` (what the log stored) is only used to say *where* something differs:
 * when the stored hashes reproduce a signed root, they are authentic, so the first entry whose
 * recomputed hash differs from its stored hash is the first altered entry.
 */
export class ExportVerifier {
  private readonly computed = CompactRange.empty();
  private readonly stored = CompactRange.empty();
  private readonly heads: VerifiedTreeHead[];
  private readonly headChecks: HeadCheck[] = [];
  private readonly problems: ExportProblem[] = [];
  private moreProblems = 0;
  private storedUsable = true;
  private indexShift = 0;

  constructor(heads: VerifiedTreeHead[]) {
    this.heads = [...heads].sort((a, b) => a.treeSize - b.treeSize);
    for (const head of this.heads.filter((h) => h.treeSize === 0)) {
      this.checkHead(head);
    }
  }

  get position(): number {
    return this.computed.size;
  }

  /** Feeds the next line; `baselineLeaf` is the leaf hash an earlier, trusted export had at this position. */
  addLine(text: string, baselineLeaf?: Buffer): Buffer {
    const position = this.computed.size;
    let computed: Buffer;
    let stored: Buffer | undefined;
    let line: ExportLine | undefined;
    try {
      line = JSON.parse(text) as ExportLine;
      if (typeof line !== 'object' || line === null || typeof line.entry !== 'object' || line.entry === null) {
        throw new Error('not an export line');
      }
    } catch {
      line = undefined;
      this.report(position, 'malformed', `line for index ${position} is not a JSON export line`);
    }
    if (line) {
      // After a gap or a misplaced line, later lines are judged relative to it, so one deletion
      // is one problem rather than one per following line.
      const expectedIndex = position + this.indexShift;
      if (line.index !== expectedIndex) {
        if (Number.isSafeInteger(line.index) && line.index > expectedIndex) {
          const last = line.index - 1;
          this.report(
            position,
            'missing',
            `entry ${position}${last > expectedIndex ? ` (and ${last - expectedIndex} more)` : ''} is missing: the line at this position has index ${line.index}`,
          );
        } else {
          this.report(position, 'out_of_order', `line at position ${position} claims index ${String(line.index)}`);
        }
        this.indexShift = Number.isSafeInteger(line.index) ? line.index - position : this.indexShift;
      }
      try {
        stored = decodeHash(line.leafHash, 'leafHash');
      } catch {
        this.storedUsable = false;
      }
      try {
        computed = leafHash(canonicalBytes(line.entry));
      } catch (error) {
        computed = leafHash(Buffer.from(text, 'utf8'));
        this.report(
          position,
          'not_canonical',
          `entry ${position} cannot be canonicalized: ${(error as Error).message}`,
        );
      }
      const entryIndex = line.entry.index;
      if (entryIndex !== undefined && entryIndex !== line.index) {
        this.report(
          position,
          'index_mismatch',
          `line ${String(line.index)} holds an entry that says it is entry ${JSON.stringify(entryIndex)}`,
        );
      }
      if (stored && !stored.equals(computed)) {
        this.report(
          position,
          'hash_mismatch',
          `entry ${position} does not hash to the leaf hash the log stored for it`,
        );
      }
    } else {
      computed = leafHash(Buffer.from(text, 'utf8'));
      this.storedUsable = false;
    }
    if (baselineLeaf && !baselineLeaf.equals(computed)) {
      this.report(position, 'baseline_mismatch', `entry ${position} differs from the baseline export`);
    }
    this.computed.append(computed);
    this.stored.append(stored ?? computed);
    for (const head of this.heads) {
      if (head.treeSize === this.computed.size) {
        this.checkHead(head);
      }
    }
    return computed;
  }

  finish(): ExportReport {
    const count = this.computed.size;
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

  private checkHead(head: VerifiedTreeHead): void {
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

  private report(index: number, code: string, message: string): void {
    if (this.problems.length >= MAX_PROBLEMS) {
      this.moreProblems += 1;
      return;
    }
    this.problems.push({ index, code, message });
  }
}
