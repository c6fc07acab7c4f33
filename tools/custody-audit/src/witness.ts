import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import {
  NoteSigner,
  NoteVerifierKey,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  Witness,
  WitnessEvidence,
  WitnessedHead,
} from '@custody/transparency-log';
import { UsageError } from './args';

interface StateFile {
  logs: Record<string, WitnessedHead>;
  evidence: WitnessEvidence[];
}

const MAX_EVIDENCE = 1000;
const MAX_BODY = 64 * 1024;

/** The witness's state in one JSON file, replaced atomically (write, fsync, rename) before each reply. */
class FileStore {
  private constructor(
    private readonly file: string,
    private readonly state: StateFile,
  ) {}

  static async open(file: string): Promise<FileStore> {
    let state: StateFile = { logs: {}, evidence: [] };
    try {
      state = JSON.parse(await readFile(file, 'utf8')) as StateFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new UsageError(`cannot read the witness state ${file}: ${(error as Error).message}`);
      }
    }
    return new FileStore(file, state);
  }

  get(origin: string): WitnessedHead | undefined {
    return this.state.logs[origin];
  }

  /** The latest cosigned checkpoint of the log whose origin hashes (SHA-256, hex) to `originHash`. */
  byOriginHash(originHash: string): string | undefined {
    const origin = Object.keys(this.state.logs).find(
      (o) => createHash('sha256').update(o).digest('hex') === originHash,
    );
    return origin === undefined ? undefined : this.state.logs[origin].checkpoint;
  }

  async set(origin: string, head: WitnessedHead): Promise<void> {
    this.state.logs[origin] = head;
    await this.save();
  }

  async evidence(item: WitnessEvidence): Promise<void> {
    this.state.evidence.push(item);
    this.state.evidence.splice(0, Math.max(0, this.state.evidence.length - MAX_EVIDENCE));
    await this.save();
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(this.state, null, 1));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }
}

/** `custody-audit witness keygen --name NAME --out FILE`: a cosigning key (type 0x04); prints the verifier key. */
export async function witnessKeygen(name: string, out: string): Promise<string> {
  const seed = randomBytes(32);
  const signer = NoteSigner.fromSeed(name, seed, SIG_COSIGNATURE_V1);
  await writeFile(out, `${signer.privateKeyString(seed)}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new UsageError(
        error.code === 'EEXIST' ? `${out} exists; not overwriting a key` : `cannot write ${out}: ${error.message}`,
      );
    },
  );
  return signer.verifierKey;
}

/**
 * `custody-audit witness serve`: an HTTP witness with the C2SP tlog-witness endpoint
 * `POST /add-checkpoint`, for the logs whose verifier keys it is given.
 */
export async function serveWitness(
  keyFile: string,
  logKeys: string[],
  stateFile: string,
  listen: string,
): Promise<{ server: Server; url: string; verifierKey: string }> {
  let signer: NoteSigner;
  try {
    signer = NoteSigner.fromPrivateKeyString(await readFile(keyFile, 'utf8'));
  } catch (error) {
    throw new UsageError(`witness key ${keyFile}: ${(error as Error).message}`);
  }
  if (signer.type !== SIG_COSIGNATURE_V1) {
    throw new UsageError('the witness key must be a cosignature/v1 key (custody-audit witness keygen makes one)');
  }
  // A --log that names a file is read again on every request, so logs can be added without a restart.
  const readLogs = async (): Promise<NoteVerifierKey[]> => {
    const texts: string[] = [];
    for (const value of logKeys) {
      texts.push(
        ...(existsSync(value) ? (await readFile(value, 'utf8')).split('\n').filter((l) => l.trim() !== '') : [value]),
      );
    }
    return texts.map((k) => {
      try {
        return parseVerifierKey(k);
      } catch (error) {
        throw new UsageError(`--log ${k}: ${(error as Error).message}`);
      }
    });
  };
  await readLogs();
  const store = await FileStore.open(stateFile);
  const witness = new Witness(signer, readLogs, store);
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) {
    throw new UsageError('--listen is HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)');
  }
  const server = createServer((req, res) => {
    const reply = (status: number, contentType: string, body: string) =>
      res.writeHead(status, { 'Content-Type': contentType }).end(body);
    // C2SP tlog-witness monitoring: GET /<hex SHA-256 of the origin>/checkpoint, the latest checkpoint cosigned.
    const monitored = req.method === 'GET' ? /^\/([0-9a-f]{64})\/checkpoint$/.exec(req.url ?? '') : null;
    if (monitored) {
      const cosigned = store.byOriginHash(monitored[1]);
      reply(cosigned ? 200 : 404, 'text/plain; charset=utf-8', cosigned ?? 'no checkpoint cosigned for this log\n');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') {
      reply(404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reply(413, 'text/plain; charset=utf-8', 'request too large\n');
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        return;
      }
      witness.addCheckpoint(Buffer.concat(chunks).toString('utf8')).then(
        (r) => reply(r.status, r.contentType, r.body),
        () => reply(500, 'text/plain; charset=utf-8', 'internal error\n'),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(match[2]), match[1], resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(match[2]);
  return { server, url: `http://${match[1]}:${port}`, verifierKey: signer.verifierKey };
}
