// The load generator of the message benchmark: Cloud API sends over node:http with a bounded
// keep-alive pool and timeouts, so refused and failed sends are counted, never thrown; a closed
// loop (C senders, each waiting for its answer) and an open loop (a send every 1/R s whatever
// the answers, never more than a bounded number in flight).
import http from 'node:http';

export class ConnectTimeoutError extends Error {
  code = 'CONNECT_TIMEOUT';
}
export class ResponseTimeoutError extends Error {
  code = 'RESPONSE_TIMEOUT';
}

/**
 * @param {{ baseUrl: string, auth: string, maxSockets: number, connectTimeoutMs: number, responseTimeoutMs: number }} o
 * @returns {(path: string, body: string) => Promise<{ outcome: 'accepted'|'refused'|'rejected'|'failed', status?: number, code?: number|string, id?: string, ms: number }>}
 */
export function createSender({ baseUrl, auth, maxSockets = 256, connectTimeoutMs = 3000, responseTimeoutMs = 10_000 }) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  const send = (path, body) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let settled = false;
      const finish = (r) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        resolve({ ...r, ms: performance.now() - t0 });
      };
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: auth,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', (e) => finish({ outcome: 'failed', code: e.code ?? e.name }));
          res.on('end', () => {
            let json;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
            const status = res.statusCode;
            if (status === 200 && json?.messages?.[0]?.id)
              finish({ outcome: 'accepted', status, id: json.messages[0].id });
            else if (status === 429 || status === 503) finish({ outcome: 'refused', status, code: json?.error?.code });
            else finish({ outcome: 'rejected', status, code: json?.error?.code, detail: json?.error?.message });
          });
        },
      );
      // Bounded: a connection that cannot be made and an answer that does not come both count as failed.
      const overall = setTimeout(() => {
        req.destroy(new ResponseTimeoutError(`no answer within ${responseTimeoutMs} ms`));
      }, responseTimeoutMs);
      req.on('socket', (socket) => {
        if (socket.connecting) {
          const t = setTimeout(
            () => req.destroy(new ConnectTimeoutError(`no connection within ${connectTimeoutMs} ms`)),
            connectTimeoutMs,
          );
          socket.once('connect', () => clearTimeout(t));
          socket.once('close', () => clearTimeout(t));
        }
      });
      req.on('error', (e) => finish({ outcome: 'failed', code: e.code ?? e.name }));
      req.end(body);
    });
  send.close = () => agent.destroy();
  return send;
}

/** Runs `n` sends with `concurrency` senders, each waiting for its answer before the next. */
export async function closedLoop({ n, concurrency, sendOne }) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await sendOne(i);
    }),
  );
  return { offered: n, skipped: 0, issuedSeconds: null };
}

/**
 * A send every 1/rate s for `seconds`, whatever the answers. A send that falls due while
 * `maxInFlight` are unanswered is not made and counted as skipped (the generator does not queue
 * behind its own slow requests, which would hide the latency it exists to measure).
 */
export async function openLoop({ rate, seconds, maxInFlight, sendOne }) {
  const n = Math.round(rate * seconds);
  const inFlight = new Set();
  let skipped = 0;
  const start = performance.now();
  for (let i = 0; i < n; i += 1) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= maxInFlight) {
      skipped += 1;
      continue;
    }
    const p = sendOne(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  const issuedSeconds = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  return { offered: n, skipped, issuedSeconds };
}

export const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;

/** p50/p95/p99/max of a list of numbers (ms). */
export function percentiles(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), max: s.length ? s[s.length - 1] : null };
}
