// A scripted scenario on the running platform (start it first with `npm start`), in two parts:
//   1. the message path: a customer writes, the business replies, statuses flow, signed webhooks
//      arrive;
//   2. consent-gated marketing: a purpose, one customer who opts in in the chat and one who does
//      not, the tenant authorizing its chats for a customer-list audience, messages flowing, the
//      ads destination (the sandbox's simulated ads platform) holding only the consented customer,
//      STOP removing them again, and an erasure request completing service by service.
// Prints what happened and exits 0, or exits 1 with the step that failed. Every run uses new
// customers and a new audience, and withdraws its authorization at the end, so it can be re-run.
import { createHash, createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { ensureApprovedTemplate } from './lib/templates.mjs';

const root = new URL('..', import.meta.url).pathname;
const home = process.env.CUSTODY_HOME ?? join(root, '.custody');
let demo;
try {
  demo = JSON.parse(readFileSync(join(home, 'demo.json'), 'utf8'));
} catch {
  console.error(
    'demo: .custody/demo.json is missing — start the platform first with `npm start` (in another terminal)',
  );
  process.exit(1);
}
const port = (name, fallback) => Number(process.env[name] ?? fallback);
const STORE = `http://127.0.0.1:${port('TENANT_STORE_PORT', 3001)}`;
const INGEST = `http://127.0.0.1:${port('INGEST_PORT', 3000)}`;
const SANDBOX = `http://127.0.0.1:${port('SANDBOX_PORT', 3004)}`;
const CONSENT = `http://127.0.0.1:${port('CONSENT_PORT', 3002)}`;
const EXPORT = `http://127.0.0.1:${port('MARKETING_EXPORT_PORT', 3003)}`;
const t = demo.tenant;
const phoneNumberId = t.phoneNumbers[0].phoneNumberId;

const say = (line) => console.log(line);
async function call(method, url, { token, body, form, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(form
        ? { 'content-type': 'application/x-www-form-urlencoded' }
        : body
          ? { 'content-type': 'application/json' }
          : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: form ? new URLSearchParams(form) : body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
async function until(what, probe, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The business's webhook endpoint, for the length of the demo.
const webhooks = [];
const verifyToken = 'demo-verify-token';
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET') {
    const ok = url.searchParams.get('hub.verify_token') === verifyToken;
    res.writeHead(ok ? 200 : 403).end(ok ? url.searchParams.get('hub.challenge') : '');
    return;
  }
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const expected = `sha256=${createHmac('sha256', t.appSecret).update(raw).digest('hex')}`;
  webhooks.push({ body: JSON.parse(raw), verified: req.headers['x-hub-signature-256'] === expected });
  res.writeHead(200).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${server.address().port}/webhook`;

const expectStatus = (res, statuses, what) => {
  if (![statuses].flat().includes(res.status))
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const newCustomer = () => `1555${randomInt(1000000, 9999999)}`;

/** A customer writes to the demo number through the simulated network; returns the message id. */
async function customerSays(waId, text, profileName) {
  const res = await call('POST', `${SANDBOX}/sandbox/v1/customers/${waId}/messages`, {
    body: { phoneNumberId, text, ...(profileName ? { profileName } : {}) },
  });
  return expectStatus(res, [200, 201], `customer message`).messageId;
}

/** Custody's answer (a system message) to a customer's message, as the customer's phone shows it. */
async function replyTo(waId, messageId) {
  return until(`the reply to ${messageId}`, async () => {
    const inbox = await call('GET', `${SANDBOX}/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${phoneNumberId}`);
    return inbox.body?.find((m) => m.contextMessageId === messageId)?.content.body;
  });
}

// Part 2: consent-gated marketing, end to end.
async function marketing(token) {
  const TARGETED = 'marketing.advertising.first_party.targeted';
  const adAccountId = 'act_100000000000001';
  say('');
  say('Consent-gated marketing: the tenant may use its own chats for its own ads, only for customers who agreed.');
  for (const [app, base] of [
    ['consent', CONSENT],
    ['marketing-export', EXPORT],
  ]) {
    const ready = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) throw new Error(`${app} is not running at ${base}: start the whole platform with \`npm start\``);
  }
  // A run stopped half-way left its authorization active: withdraw it, so it exports nothing more.
  const left = expectStatus(
    await call('GET', `${STORE}/v1/marketing/authorizations?status=active`, { token }),
    200,
    'authorizations',
  );
  for (const a of left.data.filter((a) => a.destination.adAccountId === adAccountId)) {
    expectStatus(
      await call('DELETE', `${STORE}/v1/marketing/authorizations/${a.id}`, { token }),
      200,
      'withdrawing an earlier demo authorization',
    );
  }

  // 10. A purpose and the in-chat opt-in prompt.
  const wording = 'Demo Shoes may use our chats to show you ads on other platforms.';
  const purpose = await call('POST', `${CONSENT}/v1/consent/purposes`, {
    token,
    body: { key: 'ads', dataUse: 'marketing.advertising', wording: { language: 'en', text: wording } },
  });
  expectStatus(purpose, [201, 409], 'purpose');
  const ads = expectStatus(await call('GET', `${CONSENT}/v1/consent/purposes/ads`, { token }), 200, 'purpose');
  if (ads.dataUse !== 'marketing.advertising')
    throw new Error(`purpose "ads" exists with data use ${ads.dataUse}, not marketing.advertising`);
  expectStatus(
    await call('PUT', `${CONSENT}/v1/consent/opt-in-prompt`, { token, body: { language: 'en', purposes: ['ads'] } }),
    200,
    'opt-in prompt',
  );
  say(
    `10. purpose "ads" (data use ${ads.dataUse}) ${purpose.status === 201 ? 'defined' : 'already defined'}, wording: "${ads.current[0]?.text ?? wording}"; in-chat START grants it`,
  );

  // 11. Ada opts in in the chat (START, shown the wording, START again); Bob only asks a question.
  const [ada, bob] = [newCustomer(), newCustomer()];
  const start1 = await customerSays(ada, 'START', 'Ada');
  say(`11. Ada (+${ada}) writes START; Custody answers: "${await replyTo(ada, start1)}"`);
  const start2 = await customerSays(ada, 'START', 'Ada');
  say(`    Ada writes START again; Custody answers: "${await replyTo(ada, start2)}"`);
  const granted = await until("Ada's consent", async () => {
    const state = await call('GET', `${CONSENT}/v1/consent/customers/${ada}`, { token });
    return state.body?.purposes?.find((p) => p.purpose === 'ads' && p.status === 'granted');
  });
  say(
    `    consent log: Ada granted "ads" (entry ${granted.eventId}, leaf ${granted.leafIndex} of the tenant's verifiable log)`,
  );
  await customerSays(bob, 'Hi, is my order on its way?', 'Bob');
  const bobState = await call('GET', `${CONSENT}/v1/consent/customers/${bob}`, { token });
  say(
    `    Bob (+${bob}) writes "Hi, is my order on its way?" and never consents ("ads": ${bobState.body?.purposes?.find((p) => p.purpose === 'ads')?.status ?? 'none'})`,
  );

  // 12. The tenant registers its own ad account's token (which the simulated ads platform issues, as
  // Meta issues a business its system-user token), then authorizes its chats for one audience of it.
  const adsToken = expectStatus(
    await call('POST', `${SANDBOX}/ads/_sandbox/ad-accounts/${adAccountId}/tokens`, {
      token: readFileSync(join(home, 'secrets', 'sandbox-ads-access-token'), 'utf8').trim(),
    }),
    201,
    'an ads token from the simulated ads platform',
  ).accessToken;
  expectStatus(
    await call('PUT', `${STORE}/v1/marketing/ads-accounts/${adAccountId}`, { token, body: { accessToken: adsToken } }),
    200,
    'registering the ads credential',
  );
  const audienceId = `238${randomInt(100000000000, 999999999999)}`;
  const authorization = expectStatus(
    await call('POST', `${STORE}/v1/marketing/authorizations`, {
      token,
      body: {
        destination: { kind: 'customer_list_audience', adAccountId, audienceId },
        dataUses: [TARGETED],
        scope: 'all',
      },
    }),
    201,
    'marketing authorization',
  );
  try {
    say(
      `12. the tenant authorizes its chats for audience ${audienceId} (${adAccountId}): data use ${TARGETED}, scope all conversations, version ${authorization.version}; applies to ${JSON.stringify(authorization.appliesTo)}`,
    );

    // 13. Messages flow; each one stored from now on is a candidate for the export.
    const adaAsks = await customerSays(ada, 'Are the red sneakers back in size 38?');
    const bobAsks = await customerSays(bob, 'Hello? Anyone there?');
    say('13. Ada writes "Are the red sneakers back in size 38?", Bob writes "Hello? Anyone there?"');

    // 14. The export checks consent at send time: only Ada reaches the ads destination.
    const destinationId = authorization.destination.destinationId;
    const ledger = async () =>
      expectStatus(
        await call('GET', `${EXPORT}/v1/marketing/ledger?destinationId=${destinationId}&limit=500`, { token }),
        200,
        'ledger',
      ).data;
    const member = async (waId) =>
      (await call('GET', `${SANDBOX}/ads/_sandbox/audiences/${audienceId}/members/${sha256(waId)}`)).body;
    const entries = await until(
      'the export of Ada and the refusal of Bob',
      async () => {
        const rows = await ledger();
        const adaSent = rows.find((r) => r.messageId === adaAsks && r.status === 'sent');
        const bobRefused = rows.find(
          (r) => r.messageId === bobAsks && r.status !== 'pending' && r.status !== 'sending',
        );
        return adaSent && bobRefused ? { adaSent, bobRefused } : undefined;
      },
      30_000,
    );
    const audience = (await call('GET', `${SANDBOX}/ads/_sandbox/audiences/${audienceId}`)).body;
    const held = audience.members.flatMap((m) => m.identifiers);
    if (audience.member_count !== 1 || held.join() !== `PHONE:${sha256(ada)}`)
      throw new Error(`the audience should hold Ada only, it holds ${JSON.stringify(held)}`);
    if ((await member(bob)).member) throw new Error('Bob is in the audience');
    if (entries.bobRefused.status !== 'suppressed')
      throw new Error(`Bob's message was ${entries.bobRefused.status}, not suppressed`);
    const cited = entries.adaSent.consent[0];
    say(
      `14. the ads destination's audience ${audienceId} holds ${audience.member_count} member: Ada's hashed phone (PHONE_SHA256 ${sha256(ada).slice(0, 16)}…); Bob is not in it`,
    );
    say(
      `    export ledger: Ada "sent", checked against consent log entry ${cited.eventId} (leaf ${cited.logIndex}, "${cited.purposeKey}" covers ${cited.requestedDataUse}); Bob "suppressed: ${entries.bobRefused.reason}", nothing sent`,
    );

    // 15. STOP in the chat withdraws consent; the export removes Ada from the audience.
    const stop = await customerSays(ada, 'STOP');
    say(`15. Ada writes STOP; Custody answers: "${await replyTo(ada, stop)}"`);
    const gone = await until('the removal of Ada from the audience', async () => {
      const m = await member(ada);
      return m && !m.member && m.removed_at ? m : undefined;
    });
    const removal = await until('the removal in the ledger', async () =>
      (await ledger()).find((r) => r.operation === 'remove' && r.status === 'removed'),
    );
    say(
      `    the audience no longer holds Ada (removed at ${gone.removed_at}); ledger: "removed", reason ${removal.reason}, citing the revoke ${removal.consent[0]?.eventId}`,
    );

    // 16. The tenant asks Custody to erase Ada; every service reports.
    const erasure = expectStatus(
      await call('POST', `${STORE}/v1/erasure-requests`, { token, body: { waId: ada } }),
      [200, 202],
      'erasure request',
    );
    say(`16. the tenant asks Custody to erase Ada (request ${erasure.id}, ${erasure.status})`);
    const done = await until(
      'the erasure to complete',
      async () => {
        const r = await call('GET', `${STORE}/v1/erasure-requests/${erasure.id}`, { token });
        return r.body?.status === 'completed' ? r.body : undefined;
      },
      30_000,
    );
    say(`    completed, outcome ${done.outcome}:`);
    for (const s of done.services) {
      const counts = Object.entries(s.counts ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      say(`      ${s.service.padEnd(17)} ${s.status}${counts ? ` (${counts})` : ''}`);
    }
    const after = await call('GET', `${CONSENT}/v1/consent/customers/${ada}`, { token });
    say(
      `    the consent API no longer knows Ada's number (subject ${after.body?.subject}); her log entries stay, under a pseudonym nothing links to her`,
    );
  } finally {
    // Later runs must not export this tenant's customers to this demo audience.
    const withdrawn = await call('DELETE', `${STORE}/v1/marketing/authorizations/${authorization.id}`, { token });
    say(
      `17. the tenant withdraws the authorization (${withdrawn.status === 200 ? `version ${withdrawn.body.version}, ${withdrawn.body.status}` : `HTTP ${withdrawn.status}`}): nothing more is exported to audience ${audienceId}`,
    );
  }
}

try {
  say('The message path: a customer writes, the business replies, statuses and signed webhooks flow.');
  const tok = await call('POST', `${STORE}/v1/oauth/token`, {
    form: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret },
  });
  if (tok.status !== 200) throw new Error(`token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const token = tok.body.access_token;
  say(`1. ${t.displayName} got an access token (tenant ${t.id})`);

  const set = await call('PUT', `${INGEST}/v1/webhook`, { token, body: { url: hookUrl, verifyToken } });
  if (set.status !== 200) throw new Error(`webhook: ${set.status} ${JSON.stringify(set.body)}`);
  say(`2. webhook set to ${hookUrl} after the hub.challenge handshake`);

  const customer = `1555${randomInt(1000000, 9999999)}`;
  const wrote = await call('POST', `${SANDBOX}/sandbox/v1/customers/${customer}/messages`, {
    body: { phoneNumberId, text: 'Hi! Are the red sneakers back in size 42?', profileName: 'Ada' },
  });
  say(`3. customer +${customer} writes: "Hi! Are the red sneakers back in size 42?" (${wrote.body.messageId})`);

  // The webhook whose value carries the customer's message (statuses and other messages come in webhooks of their own).
  const inbound = await until('the inbound webhook', () => {
    for (const w of webhooks) {
      const value = w.body.entry
        ?.flatMap((e) => e.changes.map((c) => c.value))
        .find((v) => v.messages?.some((m) => m.id === wrote.body.messageId));
      if (value) return { value, verified: w.verified };
    }
    return undefined;
  });
  const inboundText = inbound.value.messages.find((m) => m.id === wrote.body.messageId).text.body;
  say(
    `4. webhook received: ${inboundText} — signature ${inbound.verified ? 'valid' : 'INVALID'}, custody ${JSON.stringify(inbound.value.custody)}`,
  );

  const sent = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, {
    token,
    body: {
      messaging_product: 'whatsapp',
      to: customer,
      type: 'text',
      text: { body: 'Yes! Size 42 is back in stock.' },
    },
  });
  if (sent.status !== 200) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
  const id = sent.body.messages[0].id;
  say(`5. business replies through the Cloud-API-compatible endpoint: ${id}`);

  const seen = await until('sent, delivered and read', () => {
    const statuses = webhooks
      .flatMap((w) => w.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? [])))
      .filter((s) => s.id === id);
    const kinds = [...new Set(statuses.map((s) => s.status))];
    return ['sent', 'delivered', 'read'].every((k) => kinds.includes(k)) ? statuses : undefined;
  });
  say(
    `6. status webhooks as they arrived (shuffled and duplicated on purpose): ${seen.map((s) => s.status).join(', ')}`,
  );

  const history = await until('the stored status', async () => {
    const h = await call('GET', `${STORE}/v1/messages/${id}/statuses`, { token });
    return h.body?.status === 'read' ? h.body : undefined;
  });
  say(`7. stored status: ${history.status} (monotonic; history ${history.history.map((h) => h.status).join(' → ')})`);

  const stranger = `1555${randomInt(1000000, 9999999)}`;
  const blocked = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, {
    token,
    body: { messaging_product: 'whatsapp', to: stranger, type: 'text', text: { body: 'Hello!' } },
  });
  // Only approved templates go out: the demo creates its template (once) and the sandbox's review approves it.
  await ensureApprovedTemplate({
    ingest: INGEST,
    authorization: `Bearer ${token}`,
    businessAccountId: t.businessAccountId,
    name: 'restock_alert',
    language: 'en_US',
    category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Good news: the item you asked about is back in stock.' }],
  });
  const template = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, {
    token,
    body: {
      messaging_product: 'whatsapp',
      to: stranger,
      type: 'template',
      template: { name: 'restock_alert', language: { code: 'en_US' } },
    },
  });
  say(
    `8. to a customer who never wrote: free-form → ${blocked.body.error?.code} (${blocked.body.error?.message}); template → HTTP ${template.status}`,
  );

  const conv = await call('GET', `${STORE}/v1/conversations?customer=${customer}`, { token });
  const detail = await call('GET', `${STORE}/v1/conversations/${conv.body.data[0].id}`, { token });
  say(`9. the stored conversation (custody ${JSON.stringify(detail.body.custody)}):`);
  for (const m of detail.body.messages) {
    say(`     [${m.origin.padEnd(8)}] ${m.content.body ?? m.type}  (${m.status})`);
  }
  await marketing(token);
  say('demo: done');
  server.close();
  process.exit(0);
} catch (error) {
  console.error(`demo: ${error.message}`);
  server.close();
  process.exit(1);
}
