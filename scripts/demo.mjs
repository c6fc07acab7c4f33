// A scripted scenario on the running platform (start it first with `npm start`): a customer
// writes, the business replies, statuses flow, signed webhooks arrive. Prints what happened and
// exits 0, or exits 1 with the step that failed.
import { createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const home = process.env.CUSTODY_HOME ?? join(root, '.custody');
let demo;
try {
  demo = JSON.parse(readFileSync(join(home, 'demo.json'), 'utf8'));
} catch {
  console.error('demo: .custody/demo.json is missing — start the platform first with `npm start` (in another terminal)');
  process.exit(1);
}
const port = (name, fallback) => Number(process.env[name] ?? fallback);
const STORE = `http://127.0.0.1:${port('TENANT_STORE_PORT', 3001)}`;
const INGEST = `http://127.0.0.1:${port('INGEST_PORT', 3000)}`;
const SANDBOX = `http://127.0.0.1:${port('SANDBOX_PORT', 3004)}`;
const t = demo.tenant;
const phoneNumberId = t.phoneNumbers[0].phoneNumberId;

const say = (line) => console.log(line);
async function call(method, url, { token, body, form, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: form ? new URLSearchParams(form) : body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
async function until(what, probe, ms = 15000) {
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

try {
  const tok = await call('POST', `${STORE}/v1/oauth/token`, { form: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret } });
  if (tok.status !== 200) throw new Error(`token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const token = tok.body.access_token;
  say(`1. ${t.displayName} got an access token (tenant ${t.id})`);

  const set = await call('PUT', `${INGEST}/v1/webhook`, { token, body: { url: hookUrl, verifyToken } });
  if (set.status !== 200) throw new Error(`webhook: ${set.status} ${JSON.stringify(set.body)}`);
  say(`2. webhook set to ${hookUrl} after the hub.challenge handshake`);

  const customer = `1555${randomInt(1000000, 9999999)}`;
  const wrote = await call('POST', `${SANDBOX}/sandbox/v1/customers/${customer}/messages`, { body: { phoneNumberId, text: 'Hi! Are the red sneakers back in size 42?', profileName: 'Ada' } });
  say(`3. customer +${customer} writes: "Hi! Are the red sneakers back in size 42?" (${wrote.body.messageId})`);

  const inbound = await until('the inbound webhook', () => webhooks.find((w) => JSON.stringify(w.body).includes(wrote.body.messageId)));
  say(`4. webhook received: ${inbound.body.entry[0].changes[0].value.messages[0].text.body} — signature ${inbound.verified ? 'valid' : 'INVALID'}, custody ${JSON.stringify(inbound.body.entry[0].changes[0].value.custody)}`);

  const sent = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, { token, body: { messaging_product: 'whatsapp', to: customer, type: 'text', text: { body: 'Yes! Size 42 is back in stock.' } } });
  if (sent.status !== 200) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
  const id = sent.body.messages[0].id;
  say(`5. business replies through the Cloud-API-compatible endpoint: ${id}`);

  const seen = await until('sent, delivered and read', () => {
    const statuses = webhooks.flatMap((w) => w.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? []))).filter((s) => s.id === id);
    const kinds = [...new Set(statuses.map((s) => s.status))];
    return ['sent', 'delivered', 'read'].every((k) => kinds.includes(k)) ? statuses : undefined;
  });
  say(`6. status webhooks as they arrived (shuffled and duplicated on purpose): ${seen.map((s) => s.status).join(', ')}`);

  const history = await until('the stored status', async () => {
    const h = await call('GET', `${STORE}/v1/messages/${id}/statuses`, { token });
    return h.body?.status === 'read' ? h.body : undefined;
  });
  say(`7. stored status: ${history.status} (monotonic; history ${history.history.map((h) => h.status).join(' → ')})`);

  const stranger = `1555${randomInt(1000000, 9999999)}`;
  const blocked = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, { token, body: { messaging_product: 'whatsapp', to: stranger, type: 'text', text: { body: 'Hello!' } } });
  const template = await call('POST', `${INGEST}/v25.0/${phoneNumberId}/messages`, { token, body: { messaging_product: 'whatsapp', to: stranger, type: 'template', template: { name: 'restock_alert', language: { code: 'en_US' } } } });
  say(`8. to a customer who never wrote: free-form → ${blocked.body.error?.code} (${blocked.body.error?.message}); template → HTTP ${template.status}`);

  const conv = await call('GET', `${STORE}/v1/conversations?customer=${customer}`, { token });
  const detail = await call('GET', `${STORE}/v1/conversations/${conv.body.data[0].id}`, { token });
  say(`9. the stored conversation (custody ${JSON.stringify(detail.body.custody)}):`);
  for (const m of detail.body.messages) {
    say(`     [${m.origin.padEnd(8)}] ${m.content.body ?? m.type}  (${m.status})`);
  }
  say('demo: done');
  server.close();
  process.exit(0);
} catch (error) {
  console.error(`demo: ${error.message}`);
  server.close();
  process.exit(1);
}
