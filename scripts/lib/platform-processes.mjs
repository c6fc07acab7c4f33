// Starts Custody's built apps (apps/*/dist/main.js) as child processes on free loopback ports,
// with throwaway secrets, against the stack in the environment (KAFKA_BROKERS, DATABASE_URL).
// They form an environment of their own on the broker: topics `<KAFKA_TOPIC_PREFIX of the caller,
// default custody-procs>-<random>.*`, created here and deleted by stop(), so they read nothing of
// another environment's (a running `npm start`, the tests, another benchmark) and nobody reads theirs.
// Used by the benchmarks and the OpenAPI generator.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { Kafka, logLevel } from 'kafkajs';

const root = new URL('../..', import.meta.url).pathname;
// The built libs (the callers build first): topic names are defined once, in @custody/contracts.
const require = createRequire(import.meta.url);
export const { Topics, TopicNamespace } = require('../../libs/contracts/dist/index.js');
const { deleteTopics, ensureTopics } = require('../../libs/kafka/dist/index.js');
export const PORT_VARS = {
  ingest: 'INGEST_PORT',
  'tenant-store': 'TENANT_STORE_PORT',
  consent: 'CONSENT_PORT',
  'marketing-export': 'MARKETING_EXPORT_PORT',
  sandbox: 'SANDBOX_PORT',
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function distinctPorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/**
 * @param {{ apps: string[], env?: Record<string,string>, consumerGroups?: number }} options
 *   consumerGroups: how many Kafka consumer groups to wait for (they start at `latest`).
 */
export async function startProcesses({ apps, env: extra = {}, consumerGroups = 0 }) {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set');
  for (const v of ['DATABASE_URL', 'DATABASE_PLATFORM_URL']) {
    // Each app's own login (<SERVICE>_DATABASE_URL, as scripts/stack.sh env exports them) or a shared one.
    const own = apps.filter((a) => a !== 'sandbox').map((a) => `${a.toUpperCase().replace(/-/g, '_')}_${v}`);
    if (!process.env[v] && own.some((name) => !process.env[name]))
      throw new Error(`${v} (or ${own.join(', ')}) is not set`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'custody-procs-'));
  const es = await generateKeyPair('ES256', { extractable: true });
  const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const write = (name, value) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value), { mode: 0o600 });
    return file;
  };
  const ports = Object.fromEntries((await distinctPorts(apps.length)).map((p, i) => [apps[i], p]));
  const url = (app) => (ports[app] ? `http://127.0.0.1:${ports[app]}` : undefined);
  const issuer = url('tenant-store') ?? 'http://127.0.0.1:1';
  const id = randomUUID().slice(0, 8);
  const prefix = `procs-${id}`;
  const topics = new TopicNamespace(`${process.env.KAFKA_TOPIC_PREFIX || 'custody-procs'}-${id}`);
  const withAdmin = async (work) => {
    const admin = new Kafka({
      clientId: 'procs-admin',
      brokers: process.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  };
  const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? '3');
  await withAdmin((admin) => ensureTopics(admin, { partitions, replicationFactor: 1 }, topics));
  // The sandbox's ads platform administrator token: it issues ad-account tokens (tenants register them).
  const adsToken = randomBytes(24).toString('base64url');
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: `--disable-warning=TimeoutNegativeWarning ${process.env.NODE_OPTIONS ?? ''}`,
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: 'custody',
    JWKS_URL: `${issuer}/.well-known/jwks.json`,
    JWT_SIGNING_KEYS_FILE: write('jwt-keys.json', {
      keys: [{ ...(await exportJWK(es.privateKey)), kid: 'procs', alg: 'ES256' }],
    }),
    MASTER_KEY_FILE: write('master-keys.json', { keys: [{ id: 'mk-procs', key: randomBytes(32).toString('base64') }] }),
    CONSENT_LOG_KEY_FILE: write('consent-log-key.json', {
      keys: [{ ...(await exportJWK(ed.privateKey)), kid: 'log-procs', alg: 'EdDSA' }],
    }),
    OPERATOR_CLIENT_ID: 'procs-operator',
    OPERATOR_CLIENT_SECRET: randomBytes(32).toString('base64url'),
    NETWORK_HMAC_SECRET: randomBytes(24).toString('base64url'),
    // The simulated ads platform's administrator token (read it back from the returned env).
    SANDBOX_ADS_ACCESS_TOKEN: adsToken,
    // Seals the tenants' ads credentials from tenant-store to marketing-export.
    ADS_CREDENTIAL_KEY: randomBytes(32).toString('base64'),
    NETWORK_URL: url('sandbox') ?? 'http://127.0.0.1:1',
    ADS_API_URL: `${url('sandbox') ?? 'http://127.0.0.1:1'}/ads`,
    INGEST_URL: url('ingest') ?? 'http://127.0.0.1:1',
    KAFKA_TOPIC_PREFIX: topics.prefix,
    // Benchmarks drive one tenant far beyond a tenant's API limit on purpose: limits off.
    RATE_LIMIT_API_PER_SECOND: '0',
    RATE_LIMIT_TOKEN_PER_MINUTE: '0',
    // Webhook receivers of benchmarks run on loopback: the explicit opt-in (off by default).
    EGRESS_ALLOW_LOOPBACK: 'true',
    KAFKA_GROUP_PREFIX: prefix,
    KAFKA_NEW_GROUP_START: 'latest',
    ...Object.fromEntries(apps.map((a) => [PORT_VARS[a], String(ports[a])])),
    ...extra,
  };
  let stopping = false;
  const spawnApp = (app) => {
    // CUSTODY_PROCS_LOG_DIR keeps each app's JSON log (stdout) for inspection.
    const out = process.env.CUSTODY_PROCS_LOG_DIR
      ? openSync(join(process.env.CUSTODY_PROCS_LOG_DIR, `${app}.log`), 'a')
      : 'ignore';
    // CUSTODY_PROCS_NODE_ARGS adds Node flags to each app, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = (process.env.CUSTODY_PROCS_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'apps', app, 'dist', 'main.js')], {
      env,
      stdio: ['ignore', out, 'inherit'],
    });
    child.on('exit', (code) => {
      if (code && !stopping) {
        console.error(`${app} exited with ${code}`);
      }
    });
    return child;
  };
  const children = apps.map(spawnApp);
  const stop = async () => {
    stopping = true;
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', resolve);
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 8000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
    if (process.env.CUSTODY_PROCS_KEEP_TOPICS === '1') {
      return; // kept for inspection (e.g. after a failed fault suite)
    }
    await withAdmin((admin) => deleteTopics(admin, topics)).catch((error) =>
      console.error(`could not delete the topics ${topics.prefix}.*: ${error.message}`),
    );
  };
  const waitReady = async (app) => {
    for (let i = 0; ; i += 1) {
      if (children[apps.indexOf(app)].exitCode !== null) throw new Error(`${app} exited during start-up`);
      const ok = await fetch(`${url(app)}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (i > 600) throw new Error(`${app} not ready after 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    for (const app of apps) {
      await waitReady(app);
    }
    if (consumerGroups > 0) {
      await withAdmin(async (admin) => {
        for (let i = 0; ; i += 1) {
          const ours = (await admin.listGroups()).groups
            .map((g) => g.groupId)
            .filter((g) => g.startsWith(`${prefix}.`));
          if (
            ours.length >= consumerGroups &&
            (await admin.describeGroups(ours)).groups.every((g) => g.state === 'Stable')
          )
            break;
          if (i > 600) throw new Error('consumer groups not stable after 120 s');
          await new Promise((r) => setTimeout(r, 200));
        }
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const pids = Object.fromEntries(apps.map((app, i) => [app, children[i].pid]));
  /** Kills one app (default SIGKILL) and resolves once it has exited. */
  const kill = (app, signal = 'SIGKILL') =>
    new Promise((resolve) => {
      const child = children[apps.indexOf(app)];
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill(signal);
    });
  /** Starts a killed app again (same port and environment) and resolves once it is ready. */
  const restart = async (app) => {
    const i = apps.indexOf(app);
    children[i] = spawnApp(app);
    pids[app] = children[i].pid;
    await waitReady(app);
  };
  /** An access token from tenant-store's token endpoint (client credentials; the operator's by default). */
  const token = async (clientId = env.OPERATOR_CLIENT_ID, clientSecret = env.OPERATOR_CLIENT_SECRET) => {
    const res = await fetch(`${url('tenant-store')}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    if (!res.ok) throw new Error(`token request failed: HTTP ${res.status}`);
    return (await res.json()).access_token;
  };
  return { env, url, stop, pids, topics, kill, restart, token };
}
