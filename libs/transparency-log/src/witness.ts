import { parseCheckpoint } from './checkpoint';
import { decodeHash, EMPTY_ROOT, encodeHash } from './hashes';
import { cosign, NoteError, NoteSigner, NoteVerifierKey, openNote, SIG_ED25519 } from './note';
import { verifyConsistency } from './proofs';

/** What a witness remembers per log: the last checkpoint it cosigned. */
export interface WitnessedHead {
  size: number;
  /** Base64 root hash. */
  root: string;
  /** The checkpoint as cosigned: the log's note with this witness's cosignature line appended. */
  checkpoint?: string;
}

/** A request the witness refused, kept as evidence (a log that signed a fork is caught here). */
export interface WitnessEvidence {
  at: string;
  origin: string;
  status: number;
  reason: string;
  checkpoint: string;
}

export interface WitnessStore {
  get(origin: string): WitnessedHead | undefined;
  /** Must be durable when it resolves: the witness replies only after the new state is saved. */
  set(origin: string, head: WitnessedHead): Promise<void>;
  evidence(item: WitnessEvidence): Promise<void>;
}

export interface WitnessResponse {
  status: number;
  contentType: string;
  body: string;
}

const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): WitnessResponse => ({
  status,
  contentType,
  body,
});

/**
 * A witness (C2SP tlog-witness v1, add-checkpoint): it cosigns a log's checkpoint only when a
 * consistency proof links it to the last checkpoint it cosigned for that log, so no honest witness
 * ever cosigns two forks of one log. Requests are handled one at a time (check and update are
 * atomic), and the new state is saved before the cosignature is returned.
 */
export class Witness {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly signer: NoteSigner,
    /** The logs this witness follows: Ed25519 verifier keys named after each log's origin (read per request). */
    private readonly logs: NoteVerifierKey[] | (() => Promise<NoteVerifierKey[]>),
    private readonly store: WitnessStore,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  addCheckpoint(body: string): Promise<WitnessResponse> {
    const run = this.queue.then(() => this.handle(body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handle(body: string): Promise<WitnessResponse> {
    const split = body.indexOf('\n\n');
    if (split < 0) {
      return text(400, 'the request is "old <size>", the proof, an empty line, then the checkpoint\n');
    }
    const [oldLine, ...proofLines] = body.slice(0, split).split('\n');
    const note = body.slice(split + 2);
    const old = /^old (0|[1-9][0-9]{0,15})$/.exec(oldLine);
    if (!old || proofLines.length > 63) {
      return text(400, 'the request starts with "old <size>" and at most 63 proof hashes\n');
    }
    let proof: Buffer[];
    let checkpoint: ReturnType<typeof parseCheckpoint>;
    try {
      proof = proofLines.map((l, i) => decodeHash(l, `proof line ${i + 1}`));
      const noteText = note.slice(0, note.lastIndexOf('\n\n') + 1);
      checkpoint = parseCheckpoint(noteText);
    } catch (error) {
      return text(400, `${(error as Error).message}\n`);
    }
    const logs = Array.isArray(this.logs) ? this.logs : await this.logs();
    const keys = logs.filter((k) => k.name === checkpoint.origin && k.type === SIG_ED25519);
    if (keys.length === 0) {
      return text(404, `this witness does not follow the log ${checkpoint.origin}\n`);
    }
    let verifiedText: string;
    try {
      verifiedText = openNote(note, keys).text;
    } catch (error) {
      return this.refuse(
        403,
        checkpoint.origin,
        note,
        error instanceof NoteError ? error.message : 'the log signature does not verify',
      );
    }
    const oldSize = Number(old[1]);
    if (oldSize > checkpoint.treeSize) {
      return text(400, `old size ${oldSize} is larger than the checkpoint's ${checkpoint.treeSize}\n`);
    }
    const known = this.store.get(checkpoint.origin) ?? { size: 0, root: encodeHash(EMPTY_ROOT) };
    if (oldSize !== known.size) {
      return text(409, `${known.size}\n`, 'text/x.tlog.size');
    }
    if (checkpoint.treeSize === 0 && !checkpoint.rootHash.equals(EMPTY_ROOT)) {
      return this.refuse(422, checkpoint.origin, note, 'an empty tree has the root SHA-256("")');
    }
    if (oldSize === 0 && proof.length > 0) {
      return this.refuse(422, checkpoint.origin, note, 'a proof from size 0 must be empty');
    }
    const check = verifyConsistency(oldSize, checkpoint.treeSize, decodeHash(known.root), checkpoint.rootHash, proof);
    if (!check.ok) {
      return this.refuse(
        422,
        checkpoint.origin,
        note,
        `not consistent with the checkpoint of size ${known.size} this witness cosigned: ${check.reason}`,
      );
    }
    const cosignature = cosign(this.signer, verifiedText, this.clock());
    await this.store.set(checkpoint.origin, {
      size: checkpoint.treeSize,
      root: encodeHash(checkpoint.rootHash),
      checkpoint: `${note.endsWith('\n') ? note : `${note}\n`}${cosignature}`,
    });
    return text(200, cosignature);
  }

  private async refuse(status: number, origin: string, checkpoint: string, reason: string): Promise<WitnessResponse> {
    await this.store.evidence({ at: new Date().toISOString(), origin, status, reason, checkpoint });
    return text(status, `${reason}\n`);
  }
}
