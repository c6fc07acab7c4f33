// npm run chaos [-- --short] [--only TEXT] [--sends-per-second N] [--inbound-per-second N] [--hold-seconds N]
// The fault suite: Custody's apps as built processes on loopback (an environment of their own on
// the local broker and a database of their own), a steady mixed load (business sends, customers'
// messages with STOP/START, the statuses the network answers with, webhooks to the tenant's
// receiver), and, during it, one fault after another: kill -9 of each app (twice; once with
// --short), a broker restart, a PostgreSQL restart (not with --short), the tenant's webhook
// receiver down, the network answering 503, the ads platform down and slow (not with --short).
// The tenant exports its consenting customers to an audience of the sandbox's ads platform all
// along (every business send is a marketing candidate). Then it waits for the platform to settle
// and proves, from counts (the database, the network's inboxes, the receiver, the topics, the
// consent log, the audience), that nothing accepted was lost: every STOP ended in a revoke and in
// the customer's removal from the audience, every other consenting customer is in it, and the
// consent log holds each consent action exactly once. It prints a table per fault: lost,
// duplicated, time to first success after it. Exit 1 if anything was lost or left behind.
// Bounded: every wait has a deadline.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { numberFlag } from './lib/bench-events.mjs';
import { startProcesses, Topics } from './lib/platform-processes.mjs';
import { ensureApprovedTemplate } from './lib/templates.mjs';
import { isDatabaseUrlName, requireStackEnv } from './lib/stack-env.mjs';

const root = new URL('..', import.meta.url).pathname;

const args = process.argv.slice(2);
const flag = (name, fallback) => numberFlag(args, name, fallback);
const SHORT = args.includes('--short');
const SENDS_PER_SECOND = flag('sends-per-second', 6);
const INBOUND_PER_SECOND = flag('inbound-per-second', 3);
const HOLD_MS = flag('hold-seconds', 8) * 1000;
const SETTLE_MS = 6000;
const CUSTOMERS = 40;
const APPS = ['tenant-store', 'ingest', 'consent', 'marketing-export'];

requireStackEnv('npm run chaos');
const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] `;
const log = (line) => console.log(`${stamp()}${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the tenant's webhook receiver

const receiver = { down: false, messages: new Map(), statuses: 0, posts: 0, refused: 0, badSignatures: 0 };
let appSecret = '';
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (receiver.down) {
      receiver.refused += 1;
      res.writeHead(503).end();
      return;
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'GET') {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200).end(url.searchParams.get('hub.challenge') ?? '');
      return;
    }
    receiver.posts += 1;
    const expected = `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
    if (req.headers['x-hub-signature-256'] !== expected) {
      receiver.badSignatures += 1;
    }
    const body = JSON.parse(raw);
    for (const entry of body.entry ?? []) {
      for (const change of entry.changes ?? []) {
        for (const m of change.value?.messages ?? []) {
          receiver.messages.set(m.id, (receiver.messages.get(m.id) ?? 0) + 1);
        }
        receiver.statuses += (change.value?.statuses ?? []).length;
      }
    }
    res.writeHead(200).end('ok');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${server.address().port}/webhook`;

// ---------------------------------------------------------------- the platform

log(`chaos${SHORT ? ' --short' : ''}: starting ${APPS.join(', ')} and the sandbox`);
// Every app's log is kept and, at the end, searched for what must never be logged: the customers'
// numbers and a marker carried by every message text (faults make the apps log their error paths).
const logDir = process.env.CUSTODY_PROCS_LOG_DIR ?? mkdtempSync(join(tmpdir(), 'custody-chaos-logs-'));
process.env.CUSTODY_PROCS_LOG_DIR = logDir;
const MARKER = `chaosmarker${randomBytes(6).toString('hex')}`;
const procs = await startProcesses({
  apps: [...APPS, 'sandbox'],
  env: {
    NETWORK_DUPLICATE_PERCENT: '10',
    PAIR_RATE_BURST: '1000',
    PAIR_RATE_INTERVAL_MS: '1',
    SEND_TIMEOUT_MS: '3000',
    WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_TIMEOUT_MS: '2000',
    ...(process.env.CHAOS_LOG_LEVEL ? { LOG_LEVEL: process.env.CHAOS_LOG_LEVEL } : {}),
  },
  consumerGroups: 12,
});
// Whatever happens, the apps stop with this run: an app left running would keep relaying the
// outboxes of this database into its own (deleted) topics, and the next run would lose rows to it.
let cleaning;
const cleanup = () =>
  (cleaning ??= (async () => {
    server.close();
    await procs.stop();
  })());
const abort = (code) => (error) => {
  if (error) console.error(error);
  void cleanup().finally(() => process.exit(code));
};
process.on('SIGINT', abort(130));
process.on('SIGTERM', abort(143));
process.on('uncaughtException', abort(1));
process.on('unhandledRejection', abort(1));
const store = procs.url('tenant-store');
const ingest = procs.url('ingest');
const sandbox = procs.url('sandbox');
const db = new pg.Pool({ connectionString: process.env.MIGRATION_DATABASE_URL, max: 2 });
db.on('error', () => undefined); // a restart of PostgreSQL ends idle connections
const sql = async (text, params = []) => {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('custody.platform', 'on', true)`);
    const r = await client.query(text, params);
    await client.query('COMMIT');
    return r.rows;
  } finally {
    client.release();
  }
};

const post = async (url, body, headers = {}) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json };
};
const tokenOf = procs.token;

appSecret = randomBytes(20).toString('hex');
const phoneNumberId = `7${Date.now()}`.slice(0, 15);
const businessAccountId = `6${Date.now()}`;
const created = await post(
  `${store}/v1/tenants`,
  {
    businessAccountId,
    displayName: 'Chaos',
    phoneNumbers: [{ phoneNumberId, displayPhoneNumber: '+15559990000' }],
    appSecret,
    webhookUrl: receiverUrl,
    messagesPerSecond: 1000,
  },
  { authorization: `Bearer ${await tokenOf(procs.env.OPERATOR_CLIENT_ID, procs.env.OPERATOR_CLIENT_SECRET)}` },
);
if (created.status !== 201) throw new Error(`tenant: HTTP ${created.status} ${JSON.stringify(created.body)}`);
const tenantId = created.body.tenant.id;
const credentials = created.body.credentials;
let token = await tokenOf(credentials.clientId, credentials.clientSecret);
let tokenAt = Date.now();
const refreshToken = async () => {
  if (Date.now() - tokenAt > 5 * 60_000) {
    token = await tokenOf(credentials.clientId, credentials.clientSecret).catch(() => token);
    tokenAt = Date.now();
  }
};
const customers = Array.from({ length: CUSTOMERS }, (_, i) => `1555${String(4000000 + i)}`);

// Marketing: a purpose, the tenant's own ads credential, an authorization to an audience at the
// sandbox's ads platform covering every conversation, and every customer's grant (prompt + grant
// through the consent API). From here on each stored business send is a marketing candidate.
const consentUrl = procs.url('consent');
const api = async (base, method, path, body) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
};
await api(consentUrl, 'POST', '/v1/consent/purposes', {
  key: 'ads',
  dataUse: 'marketing.advertising',
  wording: { language: 'en', text: 'Chaos may use our chats to show you ads.' },
});
const adAccountId = `act_${String(Date.now()).slice(-9)}`;
const audienceId = `9${Date.now()}`;
const adsToken = await fetch(`${sandbox}/ads/_sandbox/ad-accounts/${adAccountId}/tokens`, {
  method: 'POST',
  headers: { authorization: `Bearer ${procs.env.SANDBOX_ADS_ACCESS_TOKEN}` },
}).then((r) => r.json());
await api(store, 'PUT', `/v1/marketing/ads-accounts/${adAccountId}`, { accessToken: adsToken.accessToken });
await api(store, 'POST', '/v1/marketing/authorizations', {
  destination: { kind: 'customer_list_audience', adAccountId, audienceId },
  dataUses: ['marketing.advertising.first_party.targeted'],
  scope: 'all',
});
for (const waId of customers) {
  const prompt = await api(consentUrl, 'POST', '/v1/consent/prompts', {
    customer: { waId },
    language: 'en',
    purposes: ['ads'],
  });
  await api(consentUrl, 'POST', '/v1/consent/records', {
    customer: { waId },
    purpose: 'ads',
    action: 'grant',
    method: 'api',
    promptId: prompt.id,
  });
}
const logSize = async () =>
  (await sql(`SELECT size::int AS n FROM consent.log_heads WHERE tenant_id = $1`, [tenantId]))[0]?.n ?? 0;
const logSizeAfterSetup = await logSize();
const memberOf = async (waId) => {
  const hash = createHash('sha256').update(waId).digest('hex');
  const res = await fetch(`${sandbox}/ads/_sandbox/audiences/${audienceId}/members/${hash}`);
  return res.json();
};
log(
  `marketing: ${CUSTOMERS} customers granted (consent log size ${logSizeAfterSetup}), exporting to audience ${audienceId}`,
);

// The templates the load sends, created and approved (ingest refuses unknown templates).
for (const [name, components] of [
  ['warmup', undefined],
  ['chaos', [{ type: 'BODY', text: 'Chaos {{1}}', example: { body_text: [['order 1']] } }]],
]) {
  await ensureApprovedTemplate({
    ingest,
    authorization: `Bearer ${token}`,
    businessAccountId,
    name,
    ...(components ? { components } : {}),
  });
}

/** Every operation: kind, when, the fault window it was issued in, and its outcome. */
const ops = [];
// ingest routes the number once it has read the tenant event (the accepted warm-up is tracked too).
for (let i = 0; ; i += 1) {
  const r = await post(
    `${ingest}/v25.0/${phoneNumberId}/messages`,
    {
      messaging_product: 'whatsapp',
      to: customers[0],
      type: 'template',
      template: { name: 'warmup', language: { code: 'en' } },
    },
    { authorization: `Bearer ${token}` },
  ).catch(() => ({ status: 0 }));
  if (r.status === 200) {
    ops.push({
      kind: 'send',
      window: 0,
      at: Date.now(),
      status: 200,
      id: r.body.messages[0].id,
      customer: customers[0],
    });
    break;
  }
  if (i > 300) throw new Error(`ingest never routed the number: HTTP ${r.status}`);
  await sleep(200);
}

// ---------------------------------------------------------------- the load

let window = 0;
let sequence = 0;
let loadRunning = true;
const inFlight = new Set();

const track = (promise) => {
  inFlight.add(promise);
  void promise.finally(() => inFlight.delete(promise));
};

const send = async () => {
  const op = { kind: 'send', window, at: Date.now(), key: `chaos-${sequence++}` };
  ops.push(op);
  const to = customers[sequence % CUSTOMERS];
  op.customer = to;
  try {
    const r = await post(
      `${ingest}/v25.0/${phoneNumberId}/messages`,
      {
        messaging_product: 'whatsapp',
        to,
        type: 'template',
        template: {
          name: 'chaos',
          language: { code: 'en' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: `order ${MARKER}` }] }],
        },
      },
      { authorization: `Bearer ${token}`, 'Idempotency-Key': op.key },
    );
    op.status = r.status;
    op.code = r.body?.error?.code;
    op.id = r.status === 200 ? r.body.messages[0].id : undefined;
  } catch (error) {
    op.status = 0;
    op.error = error.name;
  }
  op.answeredAt = Date.now();
};

const inbound = async () => {
  const n = sequence++;
  const text = n % 10 === 3 ? 'STOP' : n % 10 === 7 ? 'START' : `hello ${n} ${MARKER}`;
  const op = { kind: text === 'STOP' || text === 'START' ? 'command' : 'inbound', window, at: Date.now(), text };
  ops.push(op);
  const waId = customers[n % CUSTOMERS];
  op.customer = waId;
  try {
    const r = await post(`${sandbox}/sandbox/v1/customers/${waId}/messages`, { phoneNumberId, text });
    op.status = r.body?.ingestStatus ?? r.status;
    op.id = r.body?.messageId;
  } catch (error) {
    op.status = 0;
    op.error = error.name;
  }
  op.answeredAt = Date.now();
};

const loop = async (perSecond, work) => {
  const every = 1000 / perSecond;
  let next = Date.now();
  while (loadRunning) {
    track(work());
    next += every;
    await sleep(Math.max(0, next - Date.now()));
  }
};
const loads = [
  loop(SENDS_PER_SECOND, send),
  loop(INBOUND_PER_SECOND, inbound),
  (async () => {
    while (loadRunning) {
      await refreshToken();
      await sleep(5000);
    }
  })(),
];

// ---------------------------------------------------------------- the faults

// The local stack's own servers, never the given KAFKA_BROKERS / DATABASE_URL (stack.sh would leave
// those alone); in a session of their own, so a Ctrl-C of this run does not reach the restarted ones.
const stackEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'KAFKA_BROKERS' && !isDatabaseUrlName(k)),
);
const stack = (...a) =>
  execFileSync('setsid', ['-w', 'bash', `${root}scripts/stack.sh`, ...a], {
    env: stackEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
const kill9 = (app) => async () => {
  await procs.kill(app, 'SIGKILL');
  await procs.restart(app);
};
const network = (unavailable) =>
  fetch(`${sandbox}/sandbox/v1/network`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ unavailable }),
  });

const faults = [{ name: 'steady load (no fault)', inject: async () => undefined }];
for (const round of SHORT ? [1] : [1, 2]) {
  for (const app of APPS) {
    faults.push({ name: `kill -9 ${app}${SHORT ? '' : ` (#${round})`}, restart`, inject: kill9(app) });
  }
}
faults.push({ name: 'broker restart', inject: async () => stack('restart', 'kafka') });
if (!SHORT) {
  faults.push({ name: 'PostgreSQL restart', inject: async () => stack('restart', 'postgres') });
  faults.push({
    name: `webhook receiver down ${HOLD_MS / 1000} s`,
    inject: async () => {
      receiver.down = true;
      await sleep(HOLD_MS);
      receiver.down = false;
    },
  });
  const adsFault = (body) =>
    fetch(`${sandbox}/ads/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  faults.push({
    name: `ads platform down (503) for ${HOLD_MS / 1000} s`,
    inject: async () => {
      await adsFault({ mode: 'down', status: 503 });
      await sleep(HOLD_MS);
      await adsFault({ mode: 'ok' });
    },
  });
  faults.push({
    name: `ads platform slow (3 s a request) for ${HOLD_MS / 1000} s`,
    inject: async () => {
      await adsFault({ mode: 'slow', delayMs: 3000 });
      await sleep(HOLD_MS);
      await adsFault({ mode: 'ok' });
    },
  });
  faults.push({
    name: `network answers 503 for ${HOLD_MS / 1000} s`,
    inject: async () => {
      await network(true);
      await sleep(HOLD_MS);
      await network(false);
    },
  });
}

// --only TEXT: just the faults whose name contains TEXT (after the steady window), e.g. --only consent.
const onlyIndex = args.indexOf('--only');
if (onlyIndex >= 0) {
  const only = args[onlyIndex + 1] ?? '';
  faults.splice(1, faults.length, ...faults.slice(1).filter((f) => f.name.includes(only)));
}
const windows = [];
for (const [i, fault] of faults.entries()) {
  window = i;
  const w = { name: fault.name, start: Date.now() };
  windows.push(w);
  log(`fault ${i}: ${fault.name}`);
  try {
    await fault.inject();
  } catch (error) {
    w.error = error.message;
    log(`  the fault could not be applied or repaired: ${error.message}`);
  }
  w.repaired = Date.now();
  await sleep(SETTLE_MS);
}
loadRunning = false;
await Promise.all(loads);
await Promise.all([...inFlight]);
const loadEnd = Date.now();
log(`load stopped: ${ops.length} operations; waiting for the platform to settle`);

// ---------------------------------------------------------------- what it proves

const sends = ops.filter((o) => o.kind === 'send');
const acceptedSends = sends.filter((o) => o.status === 200);
const customerMessages = ops.filter((o) => o.kind !== 'send');
const acceptedInbound = customerMessages.filter((o) => o.status === 200 && o.id);
const commands = acceptedInbound.filter((o) => o.kind === 'command');

const storedRows = async () =>
  sql(`SELECT message_id, origin, context_message_id, received_at FROM tenant_store.messages WHERE tenant_id = $1`, [
    tenantId,
  ]);
const inboxIds = async () => {
  const seen = new Set();
  for (const waId of customers) {
    const res = await fetch(`${sandbox}/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${phoneNumberId}`);
    for (const m of await res.json()) seen.add(m.messageId);
  }
  return seen;
};
const commandRows = async () =>
  new Set(
    (await sql(`SELECT message_id FROM consent.chat_commands WHERE tenant_id = $1`, [tenantId])).map(
      (r) => r.message_id,
    ),
  );

let stored = new Map();
let inbox = new Set();
let handled = new Set();
// Marketing: the consent state and audience membership of each customer, read while settling.
let consentStatus = new Map();
let members = new Map();
let wereMembers = new Set();
const stops = () => commands.filter((o) => o.text === 'STOP' && handled.has(o.id));
const stoppedCustomers = () => new Set(stops().map((o) => o.customer));
const missing = () => {
  const stopped = stoppedCustomers();
  // One op per customer stands for it in the table: its first handled STOP, or its last accepted send.
  const firstStop = new Map();
  for (const o of stops()) if (!firstStop.has(o.customer)) firstStop.set(o.customer, o);
  const lastSend = new Map();
  for (const o of acceptedSends) if (stored.has(o.id)) lastSend.set(o.customer, o);
  return {
    sends: acceptedSends.filter((o) => !stored.has(o.id)),
    network: acceptedSends.filter((o) => !inbox.has(o.id)),
    inbound: acceptedInbound.filter((o) => !stored.has(o.id)),
    webhooks: acceptedInbound.filter((o) => !receiver.messages.has(o.id)),
    commands: commands.filter((o) => !handled.has(o.id)),
    replies: commands.filter(
      (o) => ![...stored.values()].some((r) => r.origin === 'system' && r.context_message_id === o.id),
    ),
    revokes: [...firstStop.values()].filter((o) => consentStatus.get(o.customer) !== 'revoked'),
    removals: [...firstStop.values()].filter((o) => members.get(o.customer) !== false),
    exports: [...lastSend.values()].filter((o) => !stopped.has(o.customer) && members.get(o.customer) !== true),
  };
};
const deadline = Date.now() + 120_000;
token = await tokenOf(credentials.clientId, credentials.clientSecret);
for (;;) {
  try {
    stored = new Map((await storedRows()).map((r) => [r.message_id, r]));
    inbox = await inboxIds();
    handled = await commandRows();
    for (const waId of customers) {
      const state = await api(consentUrl, 'GET', `/v1/consent/customers/${waId}`);
      consentStatus.set(waId, state.purposes.find((p) => p.purpose === 'ads')?.status);
      const member = await memberOf(waId);
      members.set(waId, member.member === true);
      if (member.removed_at) wereMembers.add(waId);
    }
  } catch (error) {
    log(`  settling: ${error.message}`);
  }
  const m = missing();
  const left = Object.values(m).reduce((n, list) => n + list.length, 0);
  if (left === 0 || Date.now() > deadline) break;
  await sleep(2000);
}
// The consent log: each consent action exactly once. After the setup's prompts and grants, the
// only actions are the first STOP of each customer who wrote one (a revoke; later STOPs find the
// consent revoked already, and no opt-in prompt is set, so STOP appends no prompt and START grants
// nothing). Every entry is a customer's, so their histories add up to the log's size, and no two
// entries are the same action (kind, purposes, the chat message or API call behind it).
const consentLog = {
  size: Number.NaN,
  expected: logSizeAfterSetup + stoppedCustomers().size,
  entries: 0,
  duplicates: 0,
};
try {
  consentLog.size = await logSize();
  const actions = new Set();
  for (const waId of customers) {
    const history = await api(consentUrl, 'GET', `/v1/consent/customers/${waId}/history?limit=500`);
    for (const e of history.entries) {
      consentLog.entries += 1;
      const purposes = (e.purposes ?? []).map((p) => p.key ?? p.purpose).join(',');
      const evidence = e.entry?.evidence?.messageId ?? e.entry?.messageId ?? e.id;
      const action = `${e.kind}|${purposes}|${evidence}`;
      if (actions.has(action)) consentLog.duplicates += 1;
      actions.add(action);
    }
  }
} catch (error) {
  log(`the consent log could not be read: ${error.message}`);
}
const consentLogOk =
  consentLog.size === consentLog.expected && consentLog.entries === consentLog.size && consentLog.duplicates === 0;
// Outbox rows still there may be in flight (a relay retrying after the broker restart, or rows
// inside their grace before the poller takes them): they must drain within a minute; what is still
// there then is left behind.
const outboxes = {};
const outboxDeadline = Date.now() + 60_000;
for (;;) {
  for (const schema of ['tenant_store', 'ingest', 'consent', 'marketing_export']) {
    outboxes[schema] = await sql(`SELECT count(*)::int AS n FROM ${schema}.outbox`).then(
      (r) => r[0].n,
      () => Number.NaN,
    );
  }
  const rows = Object.values(outboxes).reduce((a, b) => a + b, 0);
  if (rows === 0 || Date.now() > outboxDeadline) break;
  log(`  outboxes draining: ${JSON.stringify(outboxes)}`);
  await sleep(2000);
}
let deadLetters = 0;
try {
  const kafka = new Kafka({
    clientId: 'chaos',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  deadLetters = (await admin.fetchTopicOffsets(procs.topics.name(Topics.DeadLetter))).reduce(
    (n, o) => n + Number(o.high) - Number(o.low),
    0,
  );
  await admin.disconnect();
} catch (error) {
  deadLetters = Number.NaN;
  log(`the dead-letter topic could not be read: ${error.message}`);
}

// ---------------------------------------------------------------- the report

const m = missing();
const lostIds = new Set(Object.values(m).flat());
const receivedAt = (id) => stored.get(id)?.received_at?.getTime();
const rows = windows.map((w, i) => {
  const mine = ops.filter((o) => o.window === i);
  const accepted = mine.filter((o) => o.status === 200 && o.id);
  const afterFault = accepted.map((o) => receivedAt(o.id)).filter((t) => t !== undefined && t >= w.start);
  const firstSuccess = afterFault.length ? Math.min(...afterFault) : undefined;
  return {
    fault: w.name + (w.error ? ` (error: ${w.error})` : ''),
    ops: mine.length,
    accepted: accepted.length,
    refused: mine.length - accepted.length,
    lost: mine.filter((o) => lostIds.has(o)).length,
    webhookDuplicates: accepted.reduce((n, o) => n + Math.max(0, (receiver.messages.get(o.id) ?? 0) - 1), 0),
    recoverySeconds: firstSuccess === undefined ? 'none' : ((firstSuccess - w.start) / 1000).toFixed(1),
    faultSeconds: ((w.repaired - w.start) / 1000).toFixed(1),
  };
});
const extraSends = [...stored.values()].filter(
  (r) => r.origin === 'business' && !acceptedSends.some((o) => o.id === r.message_id),
).length;
const stats = await (await fetch(`${sandbox}/sandbox/v1/stats`)).json();

console.log('');
console.log(
  `chaos${SHORT ? ' --short' : ''}: ${ops.length} operations in ${((loadEnd - started) / 1000).toFixed(0)} s (${SENDS_PER_SECOND} sends/s, ${INBOUND_PER_SECOND} customer messages/s, 1 in 5 of them STOP or START)`,
);
console.log('');
console.log(
  '| fault | fault took s | operations | accepted | refused (5xx, timeout, refused connection) | lost | webhook duplicates | first success after s |',
);
console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(
    `| ${r.fault} | ${r.faultSeconds} | ${r.ops} | ${r.accepted} | ${r.refused} | ${r.lost} | ${r.webhookDuplicates} | ${r.recoverySeconds} |`,
  );
}
console.log('');
console.log(
  `accepted sends ${acceptedSends.length}: stored ${acceptedSends.length - m.sends.length}, at the network ${acceptedSends.length - m.network.length}`,
);
console.log(
  `accepted customer messages ${acceptedInbound.length}: stored ${acceptedInbound.length - m.inbound.length}, webhooks received ${acceptedInbound.length - m.webhooks.length}`,
);
console.log(
  `STOP/START ${commands.length}: handled by consent ${commands.length - m.commands.length}, replies stored ${commands.length - m.replies.length}`,
);
console.log(
  `sends stored though their answer was an error (at-least-once edge: retry with the same Idempotency-Key): ${extraSends}`,
);
console.log(
  `network: ${stats.outboundReceived} outbound messages received for ${inbox.size} distinct (duplicates ${stats.outboundReceived - inbox.size}, from re-dispatch after a fault); webhooks: ${receiver.posts} POSTs, ${receiver.refused} refused while down, ${receiver.badSignatures} bad signatures`,
);
console.log(
  `marketing: ${stoppedCustomers().size} customers wrote STOP: revoked ${stoppedCustomers().size - m.revokes.length}, not in the audience ${stoppedCustomers().size - m.removals.length} (${[...stoppedCustomers()].filter((c) => wereMembers.has(c)).length} of them removed, the others never added); other customers with messages not in the audience: ${m.exports.length}`,
);
console.log(
  `consent log: ${consentLog.size} entries (expected ${consentLog.expected}: ${logSizeAfterSetup} after the setup + one revoke per customer who wrote STOP), ${consentLog.entries} in the customers' histories, ${consentLog.duplicates} duplicate actions`,
);
console.log(`outboxes left: ${JSON.stringify(outboxes)}; dead letters: ${deadLetters}`);
for (const [what, list] of Object.entries(m)) {
  for (const o of list.slice(0, 10)) {
    console.log(
      `lost (${what}): ${o.kind} ${o.id} issued at ${new Date(o.at).toISOString()} in "${windows[o.window].name}"`,
    );
  }
}
const lost = lostIds.size;
const leftBehind = Object.values(outboxes).reduce((a, b) => a + b, 0) + deadLetters + receiver.badSignatures;
const ok = lost === 0 && leftBehind === 0 && consentLogOk;
console.log(
  ok
    ? 'chaos: 0 lost'
    : `chaos: FAILED — ${lost} lost, ${leftBehind} left behind (NaN: could not be read)${consentLogOk ? '' : ', the consent log does not hold each action exactly once'}`,
);

await db.end().catch(() => undefined);
await cleanup();

// The apps' logs (the sandbox is the network, outside Custody, and is not searched).
const leaks = [];
let logLines = 0;
for (const file of readdirSync(logDir).filter((f) => f.endsWith('.log') && !f.startsWith('sandbox'))) {
  for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
    logLines += 1;
    const hit = line.includes(MARKER) ? 'message text' : customers.find((c) => line.includes(c));
    if (hit) {
      let msg = '(not JSON)';
      try {
        msg = JSON.parse(line).msg ?? '(no msg)';
      } catch {
        // a line that is not JSON (e.g. a crash's stack trace)
      }
      leaks.push(`${file}: "${msg}" holds ${hit === 'message text' ? 'a message text' : 'a customer number'}`);
    }
  }
}
console.log(
  `logs: ${logLines} lines of ${APPS.join(', ')} searched for the customers' numbers and the messages' marker: ${leaks.length} hits${leaks.length ? '' : ` (kept in ${logDir})`}`,
);
for (const l of leaks.slice(0, 10)) {
  console.log(`  leak: ${l}`);
}
if (leaks.length > 0) {
  console.log('chaos: FAILED — customer data in the apps’ logs');
}
process.exit(ok && leaks.length === 0 ? 0 : 1);
