// Starts every Custody app against the stack in the environment, waits until each is ready,
// creates the demo tenant (idempotently), prints where everything is, and runs until Ctrl-C.
//   node scripts/start-platform.mjs [--exit-when-ready]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

const root = new URL('..', import.meta.url).pathname;
const home = process.env.CUSTODY_HOME ?? join(root, '.custody');
const secretsDir = join(home, 'secrets');
const logsDir = join(home, 'logs');
mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
mkdirSync(logsDir, { recursive: true });
const exitWhenReady = process.argv.includes('--exit-when-ready');

const APPS = [
  { name: 'tenant-store', portVar: 'TENANT_STORE_PORT', port: 3001 },
  { name: 'ingest', portVar: 'INGEST_PORT', port: 3000 },
  { name: 'consent', portVar: 'CONSENT_PORT', port: 3002 },
  { name: 'marketing-export', portVar: 'MARKETING_EXPORT_PORT', port: 3003 },
  { name: 'sandbox', portVar: 'SANDBOX_PORT', port: 3004 },
].map((a) => ({ ...a, port: Number(process.env[a.portVar] ?? a.port) }));

function writeSecret(file, value) {
  writeFileSync(file, value, { mode: 0o600 });
  chmodSync(file, 0o600);
}

async function ensureSecrets() {
  const keysFile = join(secretsDir, 'jwt-signing-keys.json');
  if (!existsSync(keysFile)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    writeSecret(keysFile, JSON.stringify({ keys: [{ ...jwk, kid: `dev-${Date.now()}`, alg: 'ES256', use: 'sig' }] }));
  }
  const networkFile = join(secretsDir, 'network-hmac-secret');
  if (!existsSync(networkFile)) {
    writeSecret(networkFile, randomBytes(32).toString('base64url'));
  }
  const adsCredentialKeyFile = join(secretsDir, 'ads-credential-key');
  if (!existsSync(adsCredentialKeyFile)) {
    writeSecret(adsCredentialKeyFile, randomBytes(32).toString('base64'));
  }
  const adsTokenFile = join(secretsDir, 'sandbox-ads-access-token');
  if (!existsSync(adsTokenFile)) {
    writeSecret(adsTokenFile, randomBytes(32).toString('base64url'));
  }
  const consentLogKeyFile = join(secretsDir, 'consent-log-key.json');
  if (!existsSync(consentLogKeyFile)) {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    writeSecret(
      consentLogKeyFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: `log-${Date.now()}`, alg: 'EdDSA' }] }),
    );
  }
  const masterKeyFile = join(secretsDir, 'master-keys.json');
  if (!existsSync(masterKeyFile)) {
    writeSecret(
      masterKeyFile,
      JSON.stringify({ keys: [{ id: `mk-dev-${Date.now()}`, key: randomBytes(32).toString('base64') }] }),
    );
  }
  const operatorFile = join(secretsDir, 'operator.json');
  if (!existsSync(operatorFile)) {
    writeSecret(
      operatorFile,
      JSON.stringify({ clientId: 'operator', clientSecret: randomBytes(32).toString('base64url') }),
    );
  }
  return {
    keysFile,
    masterKeyFile,
    consentLogKeyFile,
    networkSecret: readFileSync(networkFile, 'utf8').trim(),
    adsAccessToken: readFileSync(adsTokenFile, 'utf8').trim(),
    adsCredentialKey: readFileSync(adsCredentialKeyFile, 'utf8').trim(),
    operator: JSON.parse(readFileSync(operatorFile, 'utf8')),
  };
}

const children = new Map();
let stopping = false;

function startApp(app, env) {
  const log = createWriteStream(join(logsDir, `${app.name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [join(root, 'apps', app.name, 'dist', 'main.js')], {
    env: { ...env, [app.portVar]: String(app.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  child.stdout.pipe(log);
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  child.on('exit', (code, signal) => {
    children.delete(app.name);
    if (!stopping) {
      console.error(
        `\n${app.name} exited (${signal ?? code}).\n${stderrTail.trim()}\nLogs: ${join(logsDir, app.name + '.log')}`,
      );
      void stop(1);
    }
  });
  children.set(app.name, child);
}

async function waitReady(app, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!children.has(app.name)) {
      throw new Error(`${app.name} stopped before it was ready`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${app.port}/health/ready`);
      if (res.ok) {
        return;
      }
      last = await res.text();
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${app.name} not ready after ${timeoutMs / 1000}s: ${last}`);
}

async function call(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function token(base, clientId, clientSecret) {
  const res = await fetch(`${base}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  const body = await res.json();
  if (!res.ok) {
    throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

const DEMO = {
  businessAccountId: '100000000000001',
  displayName: 'Demo Shoes',
  phoneNumbers: [{ phoneNumberId: '100000000000011', displayPhoneNumber: '+15550000011' }],
};

async function ensureDemoTenant(base, operator) {
  const demoFile = join(home, 'demo.json');
  const opToken = await token(base, operator.clientId, operator.clientSecret);
  const saved = existsSync(demoFile) ? JSON.parse(readFileSync(demoFile, 'utf8')) : undefined;
  if (saved?.tenant?.clientId) {
    try {
      await token(base, saved.tenant.clientId, saved.tenant.clientSecret);
      writeSecret(demoFile, JSON.stringify({ ...saved, operator }, null, 2));
      return saved;
    } catch {
      // The saved credential no longer works (a reset database): create or re-credential below.
    }
  }
  const appSecret = saved?.tenant?.appSecret ?? randomBytes(24).toString('base64url');
  let created = await call('POST', `${base}/v1/tenants`, opToken, { ...DEMO, appSecret });
  let tenantId;
  let credentials;
  if (created.status === 201) {
    tenantId = created.body.tenant.id;
    credentials = created.body.credentials;
  } else if (created.status === 409) {
    let cursor;
    do {
      const page = await call('GET', `${base}/v1/tenants?limit=200${cursor ? `&cursor=${cursor}` : ''}`, opToken);
      tenantId = page.body.data.find((t) => t.businessAccountId === DEMO.businessAccountId)?.id;
      cursor = page.body.nextCursor;
    } while (!tenantId && cursor);
    created = await call('POST', `${base}/v1/tenants/${tenantId}/credentials`, opToken, { roles: ['tenant_admin'] });
    credentials = created.body;
  } else {
    throw new Error(`could not create the demo tenant: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const demo = {
    tenant: {
      id: tenantId,
      ...DEMO,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      appSecret,
    },
    operator,
  };
  writeSecret(demoFile, JSON.stringify(demo, null, 2));
  return demo;
}

async function stop(code = 0) {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log('\nstopping Custody…');
  const exits = [...children.values()].map(
    (child) =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  );
  await Promise.all(exits);
  console.log('all apps stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main() {
  const { keysFile, masterKeyFile, consentLogKeyFile, operator, networkSecret, adsAccessToken, adsCredentialKey } =
    await ensureSecrets();
  const tenantStore = APPS.find((a) => a.name === 'tenant-store');
  const issuer = `http://127.0.0.1:${tenantStore.port}`;
  const env = {
    ...process.env,
    HTTP_HOST: process.env.HTTP_HOST ?? '127.0.0.1',
    JWT_ISSUER: process.env.JWT_ISSUER ?? issuer,
    JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? 'custody',
    JWKS_URL: process.env.JWKS_URL ?? `${issuer}/.well-known/jwks.json`,
    JWT_SIGNING_KEYS_FILE: process.env.JWT_SIGNING_KEYS_FILE ?? keysFile,
    OPERATOR_CLIENT_ID: process.env.OPERATOR_CLIENT_ID ?? operator.clientId,
    OPERATOR_CLIENT_SECRET: process.env.OPERATOR_CLIENT_SECRET ?? operator.clientSecret,
    NETWORK_HMAC_SECRET: process.env.NETWORK_HMAC_SECRET ?? networkSecret,
    // The simulated ads platform's administrator token: it issues ad-account tokens (the demo registers one).
    SANDBOX_ADS_ACCESS_TOKEN: process.env.SANDBOX_ADS_ACCESS_TOKEN ?? adsAccessToken,
    MASTER_KEY_FILE: process.env.MASTER_KEY_FILE ?? masterKeyFile,
    CONSENT_LOG_KEY_FILE: process.env.CONSENT_LOG_KEY_FILE ?? consentLogKeyFile,
    NETWORK_URL: process.env.NETWORK_URL ?? `http://127.0.0.1:${APPS.find((a) => a.name === 'sandbox').port}`,
    INGEST_URL: process.env.INGEST_URL ?? `http://127.0.0.1:${APPS.find((a) => a.name === 'ingest').port}`,
    // The export's ads destination: the sandbox's simulated ads platform unless told otherwise.
    ADS_API_URL: process.env.ADS_API_URL ?? `http://127.0.0.1:${APPS.find((a) => a.name === 'sandbox').port}/ads`,
    ADS_CREDENTIAL_KEY: process.env.ADS_CREDENTIAL_KEY ?? adsCredentialKey,
    // Local development: the tenant's webhook endpoint (e.g. the demo's) runs on this machine.
    EGRESS_ALLOW_LOOPBACK: process.env.EGRESS_ALLOW_LOOPBACK ?? 'true',
  };
  console.log('starting apps (logs in .custody/logs/)…');
  for (const app of APPS) {
    startApp(app, env);
  }
  for (const app of APPS) {
    await waitReady(app);
    console.log(
      `  ${app.name.padEnd(17)} ready  http://127.0.0.1:${app.port}  (Swagger UI: /docs, OpenAPI: /docs-json)`,
    );
  }
  const demo = await ensureDemoTenant(issuer, {
    clientId: env.OPERATOR_CLIENT_ID,
    clientSecret: env.OPERATOR_CLIENT_SECRET,
  });
  const t = demo.tenant;
  console.log(`
Custody is ready. Demo tenant "${t.displayName}" (${t.id}); its credentials and the operator's are in .custody/demo.json.

Get a token and call the API as the demo tenant:
  TOKEN=$(curl -s -X POST ${issuer}/v1/oauth/token -d grant_type=client_credentials \\
    -u "$(node -p "const t=require('./.custody/demo.json').tenant; t.clientId+':'+t.clientSecret")" \\
    | node -p 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s -H "Authorization: Bearer $TOKEN" ${issuer}/v1/tenants/me

Press Ctrl-C to stop.`);
  if (exitWhenReady) {
    await stop(0);
  }
}

main().catch((error) => {
  console.error(`start: ${error.message}`);
  void stop(1);
});
