// The bench tenant's webhook endpoint: an HTTP server on 127.0.0.1 (port 0) that answers the
// Cloud API verification handshake, checks `X-Hub-Signature-256` against the tenant's app secret
// and counts what arrives, per message id and status, with first-arrival times and duplicates.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

export async function startReceiver({ appSecret, verifyToken }) {
  /** `${messageId}:${status}` → { first: ms (performance.now), count } */
  const statuses = new Map();
  /** inbound message ids (customer messages; the benchmark sends none) → count */
  const messages = new Map();
  const stats = { posts: 0, badSignature: 0, malformed: 0, handshakes: 0, statusItems: 0, messageItems: 0 };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok =
        url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === verifyToken;
      if (ok) stats.handshakes += 1;
      res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      const raw = Buffer.concat(chunks);
      stats.posts += 1;
      const expected = Buffer.from(`sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        // Not ours (a retry meant for an earlier run's endpoint on a reused port) or forged.
        stats.badSignature += 1;
        res.writeHead(401).end('bad signature');
        return;
      }
      let body;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        stats.malformed += 1;
        res.writeHead(400).end('malformed');
        return;
      }
      for (const entry of body.entry ?? []) {
        for (const change of entry.changes ?? []) {
          for (const s of change.value?.statuses ?? []) {
            stats.statusItems += 1;
            const key = `${s.id}:${s.status}`;
            const seen = statuses.get(key);
            if (seen) seen.count += 1;
            else statuses.set(key, { first: now, count: 1 });
          }
          for (const m of change.value?.messages ?? []) {
            stats.messageItems += 1;
            messages.set(m.id, (messages.get(m.id) ?? 0) + 1);
          }
        }
      }
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/webhook`;
  return {
    url,
    statuses,
    messages,
    stats,
    /** How many of these message ids have every one of the statuses, at least once. */
    complete(ids, wanted = ['sent', 'delivered', 'read']) {
      let n = 0;
      for (const id of ids) if (wanted.every((s) => statuses.has(`${id}:${s}`))) n += 1;
      return n;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
