import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { canonicalBytes, CompactRange, leafHash, NoteSigner, SIG_COSIGNATURE_V1 } from '@custody/transparency-log';
import { TreeHeadService } from '../../apps/consent/src/services/tree-head.service';
import { uniqueDigits } from '@custody/testing';
import { ConsentHarness, ConsentTenant, startConsent } from '../support/consent.harness';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'tools', 'custody-audit', 'bin', 'custody-audit.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

const cli = (args: string[]) => exec(process.execPath, [CLI, ...args]);

interface RunningWitness {
  process: ChildProcess;
  url: string;
  verifierKey: string;
  state: string;
  logs: string;
}

/** A witness as its operator would run it: its own key, its own state, a separate process. */
async function startWitness(dir: string, name: string): Promise<RunningWitness> {
  const key = join(dir, `${name}.key`);
  const state = join(dir, `${name}.state.json`);
  const logs = join(dir, `${name}.logs`);
  writeFileSync(logs, '');
  const keygen = await cli(['witness-keygen', '--name', `witness.test/${name}`, '--out', key]);
  expect(keygen).toMatchObject({ code: 0 });
  const child = spawn(
    process.execPath,
    [CLI, 'witness-serve', '--key', key, '--log', logs, '--state', state, '--listen', '127.0.0.1:0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`witness ${name} exited with ${code}`)));
  });
  const match = /^witness (\S+) listening on (\S+)$/.exec(line);
  expect(match?.[1]).toBe(keygen.stdout.trim());
  return { process: child, url: match![2], verifierKey: match![1], state, logs };
}

/**
 * Checkpoints in the C2SP formats, checked by Go's own sumdb/note, cosigned by two witnesses that
 * run as separate processes; then the operator forks the log (rewrites history and re-signs it
 * with the real log key) and the witnesses refuse to cosign, so an auditor who requires their
 * cosignatures rejects the forked checkpoint.
 */
describe('consent log checkpoints and witnesses (real PostgreSQL, Go note verifier)', () => {
  let h: ConsentHarness;
  let dir: string;
  let witnesses: RunningWitness[];
  let noteVerify: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custody-checkpoints-'));
    const built = exec('bash', [join(ROOT, 'tools', 'note-verify', 'build.sh')]);
    witnesses = [await startWitness(dir, 'w1'), await startWitness(dir, 'w2')];
    // A third witness that is never reachable: the log must carry on without it.
    const absent = NoteSigner.fromSeed('witness.test/absent', Buffer.alloc(32, 9), SIG_COSIGNATURE_V1).verifierKey;
    h = await startConsent({
      env: {
        CONSENT_WITNESSES: [...witnesses.map((w) => `${w.verifierKey} ${w.url}`), `${absent} http://127.0.0.1:9`].join(
          ',',
        ),
        // The tiles test appends 270 entries at once; the per-tenant API limit is not what it tests.
        RATE_LIMIT_API_PER_SECOND: '0',
      },
    });
    const build = await built;
    expect(build).toMatchObject({ code: 0 });
    noteVerify = build.stdout.trim();
  });

  afterAll(async () => {
    witnesses?.forEach((w) => w.process.kill('SIGTERM'));
    await h?.close();
  });

  async function tenantWithEntries(): Promise<{
    t: ConsentTenant;
    auditor: string;
    origin: string;
    logKey: string;
    promises: string[];
  }> {
    const t = await h.newTenant();
    const auditor = await t.auditorToken();
    await h.request('POST', '/v1/consent/purposes', {
      token: t.admin,
      body: {
        key: 'ads',
        dataUse: 'marketing.advertising',
        wording: { language: 'en', text: 'Ads based on our chats.\u2028Stop any time.' },
      },
    });
    const promises: string[] = [];
    for (let c = 0; c < 3; c++) {
      const waId = uniqueDigits(11);
      const prompt = await h.request('POST', '/v1/consent/prompts', {
        token: t.admin,
        body: { customer: { waId }, language: 'en', purposes: ['ads'] },
      });
      const grant = await h.request('POST', '/v1/consent/records', {
        token: t.admin,
        body: { customer: { waId }, purpose: 'ads', action: 'grant', method: 'api', promptId: prompt.body.id },
      });
      promises.push(prompt.body.inclusionPromise, grant.body.inclusionPromise);
    }
    const keys = await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint-keys`);
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toEqual([expect.objectContaining({ active: true, validFrom: null, validUntil: null })]);
    const logKey: string = keys.body.keys[0].verifierKey;
    expect(logKey.startsWith(`${keys.body.origin}+`)).toBe(true);
    // Each witness operator adds the log's key to the logs it follows.
    witnesses.forEach((w) => writeFileSync(w.logs, `${readFileSync(w.logs, 'utf8')}${logKey}\n`));
    promises.forEach((p, i) =>
      expect(p.startsWith(`custody.consent.inclusion-promise/v1\n${keys.body.origin}\n${i}\n`)).toBe(true),
    );
    return { t, auditor, origin: keys.body.origin, logKey, promises };
  }

  const save = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('signs C2SP checkpoints that Go verifies, cosigned by two witnesses', async () => {
    const { t, auditor, origin, logKey } = await tenantWithEntries();
    const head = await h.request('POST', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor });
    expect(head.status).toBe(201);
    expect(head.body.checkpoint).toBe(
      `${origin}\n6\n${head.body.rootHash}\n\n${head.body.checkpoint.split('\n\n')[1]}`,
    );

    const res = await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint`, { token: auditor });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const signatureLines = res.text.split('\n\n')[1].trim().split('\n');
    expect(signatureLines.map((l) => l.split(' ')[1])).toEqual([origin, 'witness.test/w1', 'witness.test/w2']);
    const checkpoint = save('checkpoint', res.text);

    // Go's golang.org/x/mod/sumdb/note verifies the log signature; the cosignatures and an inclusion proof are checked beside it.
    const proof = await h.request('GET', `/v1/audit/logs/${t.id}/proofs/inclusion?index=4&treeSize=6`, {
      token: auditor,
    });
    const go = await exec(
      noteVerify,
      [
        '-vkey',
        logKey,
        '-witness',
        witnesses[0].verifierKey,
        '-witness',
        witnesses[1].verifierKey,
        '-inclusion',
        save('inclusion.json', proof.text),
      ],
      res.text,
    );
    expect(go).toMatchObject({ code: 0 });
    expect(JSON.parse(go.stdout)).toMatchObject({
      origin,
      treeSize: 6,
      rootHash: head.body.rootHash,
      inclusion: 'ok',
      unverifiedSignatures: 2,
    });
    expect(JSON.parse(go.stdout).witnesses).toHaveLength(2);
    const wrongKey = await exec(noteVerify, ['-vkey', logKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')], res.text);
    expect(wrongKey.code).toBe(2);

    const keysFile = save(
      'checkpoint-keys.json',
      (await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint-keys`)).text,
    );
    const verified = await cli([
      'verify-checkpoint',
      '--origin',
      origin,
      '--checkpoint',
      checkpoint,
      '--log-key',
      keysFile,
      '--witness',
      witnesses[0].verifierKey,
      '--witness',
      witnesses[1].verifierKey,
    ]);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/^VERIFIED: .* size 6 .*cosigned by witness.test\/w1 at .*, witness.test\/w2 at /);

    // The export verifies against the cosigned checkpoint.
    const exported = save(
      'export.jsonl',
      (await h.request('GET', `/v1/audit/logs/${t.id}/entries?to=6`, { token: auditor })).text,
    );
    const exportOk = await cli([
      'verify-export',
      '--origin',
      origin,
      '--export',
      exported,
      '--checkpoint',
      checkpoint,
      '--log-key',
      logKey,
      '--witness',
      witnesses[0].verifierKey,
    ]);
    expect(exportOk).toMatchObject({ code: 0, stdout: expect.stringContaining('VERIFIED') });

    // Head history pages with a cursor.
    await h.request('POST', '/v1/consent/prompts', {
      token: t.admin,
      body: { customer: { waId: uniqueDigits(11) }, language: 'en', purposes: ['ads'] },
    });
    await h.request('POST', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor });
    const page1 = await h.request('GET', `/v1/audit/logs/${t.id}/tree-heads?limit=1`, { token: auditor });
    expect(page1.body.data.map((d: { treeSize: number }) => d.treeSize)).toEqual([7]);
    const page2 = await h.request('GET', `/v1/audit/logs/${t.id}/tree-heads?limit=1&cursor=${page1.body.nextCursor}`, {
      token: auditor,
    });
    expect(page2.body).toMatchObject({ data: [{ treeSize: 6, checkpoint: head.body.checkpoint }], nextCursor: null });
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-heads?cursor=abc`, { token: auditor })).status).toBe(
      400,
    );
  });

  it('serves the log as C2SP tlog-tiles, which Go reads, checks against the checkpoint and proves from', async () => {
    const { t, auditor } = await tenantWithEntries();
    // 6 entries so far; 270 more (in parallel, so they share transactions) make a full tile, a partial one and a level-1 tile.
    for (let batch = 0; batch < 9; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          h.request('POST', '/v1/consent/prompts', {
            token: t.admin,
            body: { customer: { waId: uniqueDigits(11) }, language: 'en', purposes: ['ads'] },
          }),
        ),
      );
      expect(answers.filter((a) => a.status >= 300).map((a) => a.status)).toEqual([]);
    }
    // This time the scheduler signs (and has the witnesses cosign after its lock is released).
    expect(await h.app.get(TreeHeadService).tick()).toBeGreaterThanOrEqual(1);
    const checkpoint = await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint`, { token: auditor });
    expect(checkpoint.text.split('\n')[1]).toBe('276');
    expect(checkpoint.text.match(/^— witness\.test\/w[12] /gm)).toHaveLength(2);
    const prefix = `${h.url}/v1/audit/logs/${t.id}`;

    const full = await h.request('GET', `/v1/audit/logs/${t.id}/tile/0/000`, { token: auditor });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const partial = await fetch(`${prefix}/tile/0/001.p/20`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(Buffer.from(await partial.arrayBuffer())).toHaveLength(20 * 32);
    const bundle = Buffer.from(
      await (
        await fetch(`${prefix}/tile/entries/001.p/20`, { headers: { authorization: `Bearer ${auditor}` } })
      ).arrayBuffer(),
    );
    const first = bundle.subarray(2, 2 + bundle.readUInt16BE(0)).toString('utf8');
    expect(JSON.parse(first)).toMatchObject({ index: 256, kind: 'consent.prompted' });
    for (const missing of [
      'tile/0/001',
      'tile/1/000',
      'tile/0/001.p/21',
      'tile/entries/002.p/1',
      'tile/0/x000/001',
      'tile/0/000.p/256',
      'tile/data/000',
    ]) {
      expect([
        missing,
        (await h.request('GET', `/v1/audit/logs/${t.id}/${missing}`, { token: auditor })).status,
      ]).toEqual([missing, 404]);
    }
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tile/0/000`)).status).toBe(401);

    const go = await exec(
      noteVerify,
      [
        '-vkey',
        (await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint-keys`)).body.keys[0].verifierKey,
        '-tiles',
        prefix,
        '-record',
        '270',
      ],
      checkpoint.text,
      {
        NOTE_VERIFY_TOKEN: auditor,
      },
    );
    expect(go).toMatchObject({ code: 0 });
    expect(JSON.parse(go.stdout)).toMatchObject({ treeSize: 276, tiles: 'ok' });
  });

  it('catches a forked log: history rewritten and re-signed with the log key gets no cosignature', async () => {
    const { t, auditor, origin, logKey, promises } = await tenantWithEntries();
    expect((await h.request('POST', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor })).status).toBe(201);
    const promise = save('promise-2', promises[2]);
    const proofAt = async (name: string, size: number) =>
      save(
        name,
        (await h.request('GET', `/v1/audit/logs/${t.id}/proofs/inclusion?index=2&treeSize=${size}`, { token: auditor }))
          .text,
      );
    const before = save(
      'before',
      (await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint`, { token: auditor })).text,
    );
    // The promise given when entry 2 was appended is kept by the cosigned checkpoint.
    const witnessArgs = ['--witness', witnesses[0].verifierKey, '--witness', witnesses[1].verifierKey];
    const kept = await cli([
      'verify-promise',
      '--origin',
      origin,
      '--promise',
      promise,
      '--checkpoint',
      before,
      '--log-key',
      logKey,
      ...witnessArgs,
      '--proof',
      await proofAt('proof-before.json', 6),
    ]);
    expect(kept).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^VERIFIED: entry 2 .*: kept, it is in the checkpoint of size 6/),
    });

    // The database owner rewrites entry 2 (a grant) and rebuilds the tree to match.
    const db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('custody.platform', 'on', true)`);
      for (const table of ['log_entries', 'log_nodes']) {
        await db.query(`ALTER TABLE consent.${table} DISABLE TRIGGER ${table}_append_only`);
      }
      const rows = (
        await db.query('SELECT leaf_index, entry FROM consent.log_entries WHERE tenant_id = $1 ORDER BY leaf_index', [
          t.id,
        ])
      ).rows;
      const forged = JSON.parse(rows[2].entry.toString());
      forged.method = 'tenant_recorded';
      rows[2].entry = canonicalBytes(forged);
      await db.query('UPDATE consent.log_entries SET entry = $3 WHERE tenant_id = $1 AND leaf_index = $2', [
        t.id,
        2,
        rows[2].entry,
      ]);
      await db.query('DELETE FROM consent.log_nodes WHERE tenant_id = $1', [t.id]);
      const range = CompactRange.empty();
      for (const row of rows) {
        for (const node of range.append(leafHash(row.entry))) {
          await db.query('INSERT INTO consent.log_nodes (tenant_id, level, idx, hash) VALUES ($1, $2, $3, $4)', [
            t.id,
            node.level,
            node.index,
            node.hash,
          ]);
        }
      }
      await db.query('UPDATE consent.log_heads SET frontier = $2 WHERE tenant_id = $1', [t.id, range.frontier()]);
      for (const table of ['log_entries', 'log_nodes']) {
        await db.query(`ALTER TABLE consent.${table} ENABLE TRIGGER ${table}_append_only`);
      }
      await db.query('COMMIT');
    } finally {
      await db.end();
    }

    // The log carries on and signs a checkpoint of the forked tree with its real key.
    await h.request('POST', '/v1/consent/prompts', {
      token: t.admin,
      body: { customer: { waId: uniqueDigits(11) }, language: 'en', purposes: ['ads'] },
    });
    expect((await h.request('POST', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor })).status).toBe(201);
    const after = save('after', (await h.request('GET', `/v1/audit/logs/${t.id}/checkpoint`, { token: auditor })).text);
    expect(after).not.toBe(before);

    // On the log's signature alone the fork verifies; requiring the two witnesses, it does not.
    const logOnly = await cli(['verify-checkpoint', '--origin', origin, '--checkpoint', after, '--log-key', logKey]);
    expect(logOnly.code).toBe(0);
    const quorum = await cli([
      'verify-checkpoint',
      '--origin',
      origin,
      '--checkpoint',
      after,
      '--log-key',
      logKey,
      '--witness',
      witnesses[0].verifierKey,
      '--witness',
      witnesses[1].verifierKey,
    ]);
    expect(quorum.code).toBe(1);
    expect(quorum.stderr).toContain('the checkpoint carries 0 valid cosignatures of the pinned witnesses; 2 required');
    const one = await cli([
      'verify-checkpoint',
      '--origin',
      origin,
      '--checkpoint',
      after,
      '--log-key',
      logKey,
      '--witness',
      witnesses[0].verifierKey,
      '--quorum',
      '1',
    ]);
    expect(one.code).toBe(1);

    // What the witnesses saw is public to monitors: each still serves the last checkpoint it cosigned, not the fork.
    for (const w of witnesses) {
      const seen = await fetch(`${w.url}/${createHash('sha256').update(origin).digest('hex')}/checkpoint`);
      expect(seen.status).toBe(200);
      const text = await seen.text();
      expect(text.startsWith(`${origin}\n6\n`)).toBe(true);
      expect(text).toContain(`— witness.test/${w === witnesses[0] ? 'w1' : 'w2'} `);
    }

    // Each witness kept the refused checkpoint as evidence of the fork.
    for (const w of witnesses) {
      const state = JSON.parse(readFileSync(w.state, 'utf8'));
      expect(state.logs[origin]).toMatchObject({ size: 6 });
      expect(state.evidence).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            origin,
            status: 422,
            reason: expect.stringContaining('not consistent with the checkpoint of size 6'),
          }),
        ]),
      );
    }

    // The promise for entry 2 is broken by the fork: the log's own checkpoint does not hold that entry there.
    const broken = await cli([
      'verify-promise',
      '--origin',
      origin,
      '--promise',
      promise,
      '--checkpoint',
      after,
      '--log-key',
      logKey,
      '--proof',
      await proofAt('proof-after.json', 7),
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /^BROKEN PROMISE: entry 2 \(.*\), promised at .*: the checkpoint of size 7 does not hold it at that index/,
    );

    // And the log can prove no consistency between the cosigned checkpoint and the fork.
    const proof = save(
      'consistency.json',
      (await h.request('GET', `/v1/audit/logs/${t.id}/proofs/consistency?first=6&second=7`, { token: auditor })).text,
    );
    const consistency = await cli([
      'verify-consistency',
      '--origin',
      origin,
      '--proof',
      proof,
      '--old',
      before,
      '--new',
      after,
      '--log-key',
      logKey,
    ]);
    expect(consistency.code).toBe(1);
  });
});
