// INTERIM: a minimal stand-in for the sandbox's simulated ads platform until it lands on main;
// replaced by the real sandbox (apps/sandbox) in the export's tests.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeAds {
  url: string;
  members: (audienceId: string) => string[];
  events: (datasetId: string) => Array<Record<string, any>>;
  requests: () => Array<{ method: string; path: string; rows: number }>;
  setDown: (down: boolean) => void;
  close: () => Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;

export async function startFakeAds(token: string): Promise<FakeAds> {
  const audiences = new Map<string, Set<string>>();
  const datasets = new Map<string, Array<Record<string, any>>>();
  const seenEventIds = new Set<string>();
  const log: Array<{ method: string; path: string; rows: number }> = [];
  let down = false;
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const graphError = (res: ServerResponse, status: number, message: string, data?: Record<string, unknown>) =>
    reply(res, status, {
      error: {
        message,
        type: 'OAuthException',
        code: status >= 500 ? 2 : 100,
        fbtrace_id: 'fake',
        ...(data ? { error_data: data } : {}),
      },
    });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (down) {
        graphError(res, 503, 'Service temporarily unavailable');
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        graphError(res, 401, 'Invalid OAuth access token');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const match = /^\/ads\/v\d+\.\d+\/(\d+)\/(users|events)$/.exec(req.url ?? '');
      if (!match) {
        graphError(res, 404, 'Unsupported request');
        return;
      }
      const [, id, kind] = match;
      if (kind === 'users') {
        const rows: string[][] = body.payload?.data ?? [];
        log.push({ method: req.method!, path: req.url!, rows: rows.length });
        if (
          rows.length > 10_000 ||
          JSON.stringify(body.payload?.schema) !== '["PHONE_SHA256"]' ||
          typeof body.session?.session_id !== 'number'
        ) {
          graphError(res, 400, 'Invalid parameter');
          return;
        }
        const set = audiences.get(id) ?? new Set<string>();
        audiences.set(id, set);
        let invalid = 0;
        for (const [h] of rows) {
          if (!HASH.test(h)) {
            invalid++;
          } else if (req.method === 'POST') {
            set.add(h);
          } else {
            set.delete(h);
          }
        }
        reply(res, 200, {
          audience_id: id,
          session_id: body.session.session_id,
          num_received: rows.length,
          num_invalid_entries: invalid,
          invalid_entry_samples: {},
        });
        return;
      }
      const data: Array<Record<string, any>> = body.data ?? [];
      log.push({ method: req.method!, path: req.url!, rows: data.length });
      const now = Date.now() / 1000;
      const bad = data.findIndex(
        (e) => e.event_time < now - 7 * 86400 || e.event_time > now + 600 || !HASH.test(e.user_data?.ph?.[0] ?? ''),
      );
      if (data.length > 1000 || bad >= 0) {
        graphError(res, 400, `Invalid parameter at data[${bad}]`, { event_index: bad });
        return;
      }
      const list = datasets.get(id) ?? [];
      datasets.set(id, list);
      for (const e of data) {
        if (!seenEventIds.has(`${e.event_name}:${e.event_id}`)) {
          seenEventIds.add(`${e.event_name}:${e.event_id}`);
          list.push(e);
        }
      }
      reply(res, 200, { events_received: data.length, fbtrace_id: 'fake' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ads`,
    members: (audienceId) => [...(audiences.get(audienceId) ?? [])],
    events: (datasetId) => [...(datasets.get(datasetId) ?? [])],
    requests: () => [...log],
    setDown: (d) => {
      down = d;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
