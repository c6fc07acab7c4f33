import {
  canonicalBytes,
  decodeHash,
  encodeHash,
  ExportReport,
  ExportVerifier,
  leafHash,
  InclusionPromise,
  NoteError,
  verifyConsistency,
  verifyInclusion,
  verifyInclusionPromise,
} from '@custody/transparency-log';
import { many, one, optional, parseArgs, ParsedArgs, UsageError } from './args';
import { Head, readJson, readLines, readText, Trust, VerificationFailure, verifierKeys } from './files';
import { serveWitness, witnessKeygen } from './witness';
import { LedgerChecker, LedgerRecord } from './ledger';
import { Progress } from './progress';

const HELP = `custody-audit: verify Custody's consent log offline (no network access), and run a witness.

  custody-audit verify-checkpoint --origin ORIGIN --checkpoint FILE --log-key KEY [--witness KEY ... [--quorum N]] [--json]
      Checks a C2SP checkpoint (GET .../checkpoint): signed by the log's key, for the pinned origin,
      and cosigned by at least N of the given witnesses (default: all of them).
  custody-audit verify-export --origin ORIGIN --export FILE [--export FILE ...] (--checkpoint FILE | --sth FILE) ...
                              [--baseline FILE] [--json] [--no-progress] [--progress-interval MS]
      Recomputes every leaf of a JSON Lines export (several files are read in order; - is stdin),
      checks the tree against each checkpoint or signed tree head, and reports the first index
      where anything differs. Entries must be canonical JSON (a duplicated key is refused) and
      belong to the log; lines are split on LF only. --baseline is an earlier export you verified
      before: entries are compared with it. Progress goes to stderr every --progress-interval ms
      (default 1000) on long exports.
  custody-audit verify-inclusion --origin ORIGIN --proof FILE (--checkpoint FILE | --sth FILE) [--entry FILE] [--json]
      Checks an inclusion proof (GET .../proofs/inclusion) against a checkpoint or head; --entry is
      an export line or entry whose leaf hash must be the proven one.
  custody-audit verify-consistency --origin ORIGIN --proof FILE --old FILE --new FILE [--json]
      Checks that the tree of the --old head or checkpoint is a prefix of the tree of the --new one.
  custody-audit check-ledger --origin ORIGIN --ledger FILE [--ledger FILE ...] --export FILE [--export FILE ...]
                             (--checkpoint FILE | --sth FILE) ... [--json]
      Verifies the log export (as verify-export) and proves from it, offline, that every export in
      the marketing export's ledger (GET /v1/audit/marketing/<tenantId>/ledger pages) was checked
      against a grant in force at that moment: in the log where cited, covering the data use, logged
      before the check, with no revoke logged between it and the check; removals follow their revoke.
  custody-audit verify-promise --origin ORIGIN --promise FILE --checkpoint FILE --log-key KEY [--witness KEY ...] --proof FILE [--json]
      Checks an inclusion promise (the inclusionPromise an append returned) against a later
      checkpoint and the inclusion proof of the promised index in it (GET .../proofs/inclusion?
      index=<index>&treeSize=<size>); reports BROKEN PROMISE when the checkpoint does not hold the
      promised entry there, or was witnessed after the promised time without covering it.
  custody-audit verify-sth --origin ORIGIN --sth FILE --keys FILE [--json]
      Checks a JSON signed tree head's signature.
  custody-audit witness-keygen --name NAME --out FILE
      Makes a witness's cosigning key (C2SP cosignature/v1) in FILE and prints its verifier key.
  custody-audit witness-serve --key FILE --log KEY [--log KEY ...] --state FILE [--listen HOST:PORT]
      Runs a witness (C2SP tlog-witness: POST /add-checkpoint) for the logs whose keys are given; it
      cosigns a checkpoint only when it is consistent with the last one it cosigned for that log.

--origin pins the log (consent.custody.example/<tenantId>): a head of any other log is refused.
Checkpoints are verified with --log-key (GET /v1/audit/logs/<tenantId>/checkpoint-keys, a file of
that output, or the key itself) and --witness/--quorum; JSON tree heads with --keys (GET
/v1/audit/log-keys). Exit status: 0 verified, 1 verification failed, 2 bad usage or unreadable
input. See docs/auditors.md.
`;

type Out = (line: string) => void;

export async function run(
  argv: string[],
  out: Out = (l) => process.stdout.write(`${l}\n`),
  err: Out = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.command === 'help' || args.flags.has('help')) {
      out(HELP);
      return 0;
    }
    switch (args.command) {
      case 'verify-export':
        return await verifyExportCommand(args, out, err);
      case 'verify-inclusion':
        return await verifyInclusionCommand(args, out);
      case 'verify-consistency':
        return await verifyConsistencyCommand(args, out);
      case 'check-ledger':
        return await checkLedgerCommand(args, out, err);
      case 'verify-promise':
        return await verifyPromiseCommand(args, out);
      case 'verify-sth':
      case 'verify-checkpoint':
        return await verifySthCommand(args, out);
      case 'witness-keygen':
        out(await witnessKeygen(one(args, 'name'), one(args, 'out')));
        return 0;
      case 'witness-serve': {
        const witness = await serveWitness(
          one(args, 'key'),
          many(args, 'log'),
          one(args, 'state'),
          optional(args, 'listen') ?? '127.0.0.1:8080',
        );
        out(`witness ${witness.verifierKey} listening on ${witness.url}`);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        witness.server.close();
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${args.command}" (try: custody-audit help)`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`custody-audit: ${error.message}`);
      return 2;
    }
    if (error instanceof VerificationFailure) {
      err(`custody-audit: FAILED: ${error.message}`);
      return 1;
    }
    err(`custody-audit: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

/**
 * The heads given as --NAME (JSON tree heads or C2SP checkpoints, told apart by their content),
 * each verified and required to belong to the pinned --origin.
 */
async function heads(args: ParsedArgs, name: string): Promise<Head[]> {
  const origin = one(args, 'origin');
  const trust = new Trust(args, origin);
  const result: Head[] = [];
  const files =
    name === 'sth' ? [...(args.options.get('sth') ?? []), ...(args.options.get('checkpoint') ?? [])] : many(args, name);
  if (files.length === 0) {
    throw new UsageError('--checkpoint (or --sth) is required');
  }
  for (const file of files) {
    const head = await trust.read(file);
    if (head.origin !== origin) {
      throw new VerificationFailure(
        `tree head ${file} is signed for the log ${head.origin}, not for the pinned origin ${origin}`,
      );
    }
    result.push(head);
  }
  return result;
}

async function verifyExportCommand(args: ParsedArgs, out: Out, err: Out): Promise<number> {
  const signed = await heads(args, 'sth');
  const exports = many(args, 'export');
  const baselineFile = optional(args, 'baseline');
  const interval = Number(optional(args, 'progress-interval') ?? '1000');
  if (!Number.isInteger(interval) || interval < 0) {
    throw new UsageError('--progress-interval must be a number of milliseconds');
  }
  const progress = new Progress(args.flags.has('no-progress') ? undefined : err, interval);
  const verifier = new ExportVerifier(signed, one(args, 'origin'));
  const baseline = baselineFile ? readLines([baselineFile])[Symbol.asyncIterator]() : undefined;
  const baselineVerifier = new ExportVerifier([]);
  for await (const line of readLines(exports, (n) => progress.bytes(n))) {
    let baselineLeaf: Buffer | undefined;
    if (baseline) {
      const next = await baseline.next();
      baselineLeaf = next.done ? undefined : baselineVerifier.addLine(next.value);
    }
    verifier.addLine(line, baselineLeaf);
    progress.entry();
  }
  progress.done();
  const report = verifier.finish();
  if (args.flags.has('json')) {
    out(JSON.stringify({ origin: signed[0]?.origin, ...report }, null, 2));
  } else {
    printExportReport(report, signed[0]?.origin, out);
  }
  return report.ok ? 0 : 1;
}

function printExportReport(report: ExportReport, origin: string | undefined, out: Out): void {
  out(`log ${origin ?? '(unknown)'}: ${report.entries} entries read`);
  const printHeads = () => {
    for (const head of report.heads) {
      out(
        `  tree head of size ${head.treeSize}: ${head.ok ? 'the entries reproduce its signed root' : `MISMATCH: ${head.message ?? 'root differs'}`}`,
      );
    }
  };
  if (report.ok) {
    printHeads();
    out('VERIFIED: every entry is in the signed tree, in order, unaltered.');
    return;
  }
  // The verdict comes first, then what differs, then each head: a head whose root the entries
  // reproduce is not a pass when something else in the export is wrong.
  if (report.problems.length > 0 && report.problems.every((p) => p.code === 'leaf_hint_mismatch')) {
    out(
      `FAILED: the export's leafHash hints are wrong from index ${report.firstDifferingIndex}; ` +
        'the entries themselves are all in the signed tree, unaltered',
    );
  } else if (report.firstDifferingIndex !== null) {
    out(`FAILED: first differing index ${report.firstDifferingIndex}`);
  } else if (report.differenceWithin) {
    out(
      `FAILED: the export differs from a signed head somewhere in indices ${report.differenceWithin.from}..${report.differenceWithin.to}` +
        ' (give --baseline with an export you verified earlier to locate it)',
    );
  } else {
    out('FAILED');
  }
  for (const problem of report.problems.slice(0, 20)) {
    out(`  index ${problem.index}: ${problem.code}: ${problem.message}`);
  }
  const more = report.problems.length - 20 + report.moreProblems;
  if (more > 0) {
    out(`  … and ${more} more`);
  }
  printHeads();
}

interface InclusionProofFile {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  entry?: unknown;
}

/**
 * check-ledger: the log export is verified against the heads given (as verify-export does) and,
 * in the same pass, every record of the ledger is checked against it (see LedgerChecker).
 */
async function checkLedgerCommand(args: ParsedArgs, out: Out, err: Out): Promise<number> {
  const records: LedgerRecord[] = [];
  for (const file of many(args, 'ledger')) {
    const value = (await readJson(file, 'ledger')) as { data?: unknown } | unknown[];
    const page = Array.isArray(value) ? value : value.data;
    if (!Array.isArray(page)) {
      throw new UsageError(`ledger ${file} holds neither a ledger page ({"data":[…]}) nor an array of records`);
    }
    records.push(...(page as LedgerRecord[]));
  }
  const origin = one(args, 'origin');
  const signed = await heads(args, 'sth');
  const verifier = new ExportVerifier(signed, origin);
  const checker = new LedgerChecker(records);
  verifier.watchSizes(checker.citedRoots.keys());
  const progress = new Progress(args.flags.has('no-progress') ? undefined : err, 1000);
  for await (const line of readLines(many(args, 'export'), (n) => progress.bytes(n))) {
    const leaf = verifier.addLine(line);
    try {
      checker.add((JSON.parse(line) as { entry: Record<string, unknown> }).entry, leaf);
    } catch {
      // A line that is not JSON is already a problem of the export's verification.
    }
    progress.entry();
  }
  progress.done();
  const report = verifier.finish();
  const result = checker.check(report.entries, (size) => verifier.rootsAt.get(size));
  const ok = report.ok && result.problems.length === 0;
  if (args.flags.has('json')) {
    out(JSON.stringify({ ok, origin, log: report, ledger: result }, null, 2));
    return ok ? 0 : 1;
  }
  if (!report.ok) {
    printExportReport(report, origin, out);
    out('FAILED: the log export does not verify, so the ledger cannot be checked against it');
    return 1;
  }
  const counted = `${result.exports} export${result.exports === 1 ? '' : 's'} and ${result.removals} removal${result.removals === 1 ? '' : 's'} (${result.skipped} other records not checked)`;
  if (result.problems.length === 0) {
    out(
      `VERIFIED: ${counted}: each export was checked against a grant in force at that moment, each removal followed its revoke (log ${origin}, ${report.entries} entries verified)`,
    );
    return 0;
  }
  const n = result.problems.length;
  out(`FAILED: ${n} claim${n === 1 ? '' : 's'} of the ledger ${n === 1 ? 'does' : 'do'} not hold up (${counted})`);
  for (const p of result.problems) {
    out(`  record ${p.record}: ${p.message}`);
  }
  return 1;
}

/**
 * A promise is kept when a checkpoint that covers its index proves its leaf hash there. It is
 * broken when such a checkpoint proves nothing of the kind (the log forked or dropped the entry),
 * or when a checkpoint witnessed after the promised time still does not cover the index.
 */
async function verifyPromiseCommand(args: ParsedArgs, out: Out): Promise<number> {
  const origin = one(args, 'origin');
  const [head] = await heads(args, 'sth');
  const promiseFile = one(args, 'promise');
  let promise: InclusionPromise;
  try {
    promise = verifyInclusionPromise(
      await readText(promiseFile, 'promise'),
      origin,
      await verifierKeys(many(args, 'log-key'), '--log-key'),
    );
  } catch (error) {
    if (error instanceof NoteError) {
      throw new VerificationFailure(`inclusion promise ${promiseFile}: ${error.message}`);
    }
    throw error;
  }
  const promised = `entry ${promise.index} (${encodeHash(promise.leafHash)}), promised at ${new Date(promise.recordedAt).toISOString()} to be in a checkpoint by ${new Date(promise.mergeBy).toISOString()}`;
  const broken = (why: string): number => {
    if (args.flags.has('json')) {
      out(JSON.stringify({ ok: false, broken: true, reason: why }));
    } else {
      out(`BROKEN PROMISE: ${promised}: ${why}`);
    }
    return 1;
  };
  if (head.treeSize <= promise.index) {
    const late = (head.cosignatures ?? []).find((c) => c.timestamp * 1000 > promise.mergeBy);
    if (late) {
      return broken(
        `the checkpoint of size ${head.treeSize}, cosigned by ${late.witness} at ${new Date(late.timestamp * 1000).toISOString()}, still does not cover it`,
      );
    }
    throw new VerificationFailure(
      `the checkpoint of size ${head.treeSize} does not cover index ${promise.index} yet; check a later one (${promised})`,
    );
  }
  const proof = (await readJson(one(args, 'proof'), 'proof')) as InclusionProofFile;
  if (!Array.isArray(proof?.auditPath)) {
    throw new UsageError(
      'proof file has no auditPath (expected GET .../proofs/inclusion?index=<promised index>&treeSize=<checkpoint size>)',
    );
  }
  if (proof.leafIndex !== promise.index || proof.treeSize !== head.treeSize) {
    throw new UsageError(
      `the proof is for index ${proof.leafIndex} in size ${proof.treeSize}; need index ${promise.index} in size ${head.treeSize}`,
    );
  }
  const check = verifyInclusion(
    promise.index,
    head.treeSize,
    promise.leafHash,
    proof.auditPath.map((h, i) => decodeHash(h, `auditPath[${i}]`)),
    head.rootHash,
  );
  if (!check.ok) {
    return broken(`the checkpoint of size ${head.treeSize} does not hold it at that index (${check.reason})`);
  }
  return result(
    args,
    out,
    check,
    `${promised}: kept, it is in the checkpoint of size ${head.treeSize} ${head.describe}`,
  );
}

async function verifyInclusionCommand(args: ParsedArgs, out: Out): Promise<number> {
  const [head] = await heads(args, 'sth');
  const proof = (await readJson(one(args, 'proof'), 'proof')) as InclusionProofFile;
  if (!Array.isArray(proof?.auditPath)) {
    throw new UsageError('proof file has no auditPath (expected GET .../proofs/inclusion output)');
  }
  const leaf = decodeHash(proof.leafHash, 'leafHash');
  const entryFile = optional(args, 'entry');
  const entries: Array<[string, unknown]> = [];
  if (proof.entry !== undefined) {
    entries.push(['the proof', proof.entry]);
  }
  if (entryFile) {
    const given = (await readJson(entryFile, 'entry')) as { entry?: unknown };
    entries.push([entryFile, given && typeof given === 'object' && 'entry' in given ? given.entry : given]);
  }
  for (const [where, entry] of entries) {
    if (!leafHash(canonicalBytes(entry)).equals(leaf)) {
      throw new VerificationFailure(`the entry in ${where} does not hash to the proven leaf hash`);
    }
  }
  if (proof.treeSize !== head.treeSize) {
    throw new VerificationFailure(`proof is for tree size ${proof.treeSize}, the signed head is for ${head.treeSize}`);
  }
  const check = verifyInclusion(
    proof.leafIndex,
    proof.treeSize,
    leaf,
    proof.auditPath.map((h, i) => decodeHash(h, `auditPath[${i}]`)),
    head.rootHash,
  );
  return result(
    args,
    out,
    check,
    `leaf ${proof.leafIndex} (${encodeHash(leaf)}) is in the tree of size ${head.treeSize} ${head.describe}`,
  );
}

async function verifyConsistencyCommand(args: ParsedArgs, out: Out): Promise<number> {
  const [older] = await heads(args, 'old');
  const [newer] = await heads(args, 'new');
  if (older.origin !== newer.origin) {
    throw new VerificationFailure(`the heads belong to different logs: ${older.origin} and ${newer.origin}`);
  }
  const proof = (await readJson(one(args, 'proof'), 'proof')) as {
    firstSize?: number;
    secondSize?: number;
    proof?: string[];
  };
  if (!Array.isArray(proof?.proof)) {
    throw new UsageError('proof file has no proof array (expected GET .../proofs/consistency output)');
  }
  if (proof.firstSize !== older.treeSize || proof.secondSize !== newer.treeSize) {
    throw new VerificationFailure(
      `proof is for sizes ${proof.firstSize} → ${proof.secondSize}, the heads are ${older.treeSize} → ${newer.treeSize}`,
    );
  }
  const check = verifyConsistency(
    older.treeSize,
    newer.treeSize,
    older.rootHash,
    newer.rootHash,
    proof.proof.map((h, i) => decodeHash(h, `proof[${i}]`)),
  );
  return result(
    args,
    out,
    check,
    `the tree of size ${older.treeSize} is a prefix of the tree of size ${newer.treeSize}: nothing logged was changed or removed`,
  );
}

async function verifySthCommand(args: ParsedArgs, out: Out): Promise<number> {
  const [head] = await heads(args, 'sth');
  if (args.command === 'verify-checkpoint' && head.kind !== 'checkpoint') {
    throw new UsageError('verify-checkpoint takes a checkpoint (GET …/checkpoint), not a JSON tree head');
  }
  if (args.flags.has('json')) {
    out(JSON.stringify({ ok: true, ...head, rootHash: encodeHash(head.rootHash) }, null, 2));
  } else {
    out(`VERIFIED: ${head.origin} size ${head.treeSize} root ${encodeHash(head.rootHash)} ${head.describe}`);
  }
  return 0;
}

function result(args: ParsedArgs, out: Out, check: { ok: boolean; reason?: string }, success: string): number {
  if (args.flags.has('json')) {
    out(JSON.stringify(check.ok ? { ok: true } : { ok: false, reason: check.reason }));
  } else {
    out(check.ok ? `VERIFIED: ${success}` : `FAILED: ${check.reason}`);
  }
  return check.ok ? 0 : 1;
}
