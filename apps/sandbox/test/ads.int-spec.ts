import { createHash } from 'node:crypto';
import { startSandbox, SandboxHarness } from '../../../test/support/sandbox.harness';

// The simulated ads platform over real HTTP: what the marketing export will see.
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const nowS = (): number => Math.floor(Date.now() / 1000);

let sandbox: SandboxHarness;
/** A token of the ad account the tests act as, unless they say otherwise. */
let accountToken: string;
let seq = 0;
const newId = (): string => `${Date.now()}${(seq += 1)}`;

beforeAll(async () => {
  sandbox = await startSandbox();
  accountToken = await sandbox.adsTokenFor(`act_${newId()}`);
});

afterAll(async () => {
  await sandbox?.close();
});

afterEach(async () => {
  await setFault({ mode: 'ok' });
});

function ads(method: string, path: string, body?: unknown, token: string | null = accountToken) {
  return sandbox.request(method, `/ads/v25.0${path}`, { body, ...(token ? { token } : {}) });
}

/** The inspection API (`/ads/_sandbox/...`): what the platform holds, no token needed. */
async function inspect(path: string) {
  return (await sandbox.request('GET', `/ads/_sandbox${path}`)).body;
}

const setFault = (body: Record<string, unknown>) => sandbox.request('POST', '/ads/_sandbox/faults', { body });

const users = (hashes: string[], sessionId: number, batchSeq = 1, last = true) => ({
  payload: { schema: ['PHONE_SHA256'], data: hashes.map((h) => [h]) },
  session: { session_id: sessionId, batch_seq: batchSeq, last_batch_flag: last },
});

function event(eventId: string, overrides: Record<string, unknown> = {}) {
  return {
    event_name: 'LeadSubmitted',
    event_time: nowS() - 30,
    event_id: eventId,
    action_source: 'business_messaging',
    messaging_channel: 'whatsapp',
    user_data: { ph: [sha('16505551212')], ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ' },
    ...overrides,
  };
}

describe('ad accounts', () => {
  it('issues tokens of an ad account to the administrator only', async () => {
    const path = `/ads/_sandbox/ad-accounts/act_${newId()}/tokens`;
    expect((await sandbox.request('POST', path)).status).toBe(401);
    expect((await sandbox.request('POST', path, { token: accountToken })).body.error).toMatchObject({ code: 190 });
    const notAnAccount = await sandbox.request('POST', '/ads/_sandbox/ad-accounts/123/tokens', {
      token: sandbox.adsAdminToken,
    });
    expect(notAnAccount.status).toBe(400);
    // The administrator token is no ads token: it reaches no audience.
    expect((await ads('POST', `/${newId()}/users`, users([sha('1')], 1), sandbox.adsAdminToken)).status).toBe(401);
  });

  it("refuses another account's audience and dataset as Graph does, and shows each object's own account", async () => {
    const accountA = `act_${newId()}`;
    const accountB = `act_${newId()}`;
    const [tokenA, tokenB] = [await sandbox.adsTokenFor(accountA), await sandbox.adsTokenFor(accountB)];
    const audience = newId();
    const dataset = newId();
    expect((await ads('POST', `/${audience}/users`, users([sha('a')], 1), tokenA)).status).toBe(200);
    expect((await ads('POST', `/${dataset}/events`, { data: [event(newId())] }, tokenA)).status).toBe(200);

    for (const [method, path, body] of [
      ['POST', `/${audience}/users`, users([sha('b')], 2)],
      ['DELETE', `/${audience}/users`, users([sha('a')], 3)],
      ['POST', `/${dataset}/events`, { data: [event(newId())] }],
      ['GET', `/${audience}?fields=account_id`, undefined],
      ['GET', `/${accountA}?fields=id`, undefined],
    ] as const) {
      const refused = await ads(method, path, body, tokenB);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'OAuthException' });
      expect(refused.body.error.message).toMatch(/does not exist, cannot be loaded due to missing permissions/);
    }
    // B changed nothing in A's audience.
    expect((await inspect(`/audiences/${audience}`)).member_count).toBe(1);

    const seen = await ads('GET', `/${audience}?fields=id,account_id`, undefined, tokenA);
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual({ id: audience, account_id: accountA.slice(4) });
    expect((await ads('GET', `/${accountA}?fields=id,account_id`, undefined, tokenA)).body).toEqual({
      id: accountA,
      account_id: accountA.slice(4),
    });
  });
});

describe('auth', () => {
  it('refuses a missing or wrong token with 401 and Graph code 190', async () => {
    const missing = await ads('POST', `/${newId()}/users`, users([sha('1')], 1), null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 190, type: 'OAuthException', fbtrace_id: expect.any(String) });
    const wrong = await ads('POST', `/${newId()}/events`, { data: [event('x')] }, 'not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe(190);
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-token-at-all');
  });

  it('keeps Custody’s error shape outside /ads', async () => {
    const res = await sandbox.request('GET', '/sandbox/v1/customers/abc/inbox?phoneNumberId=1');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ status: 400, code: 'bad_request' });
  });
});

describe('customer-list audiences', () => {
  it('adds and removes members, visible in the inspection API with timestamps', async () => {
    const audience = newId();
    const [a, b, c] = [sha('16505551212'), sha('447700900077'), sha('4915112345678')];
    const added = await ads('POST', `/${audience}/users`, users([a, b, c, 'not-a-hash'], 11));
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      audience_id: audience,
      session_id: 11,
      num_received: 4,
      num_invalid_entries: 1,
      invalid_entry_samples: { '3': expect.any(String) },
    });

    const removed = await ads('DELETE', `/${audience}/users`, users([b], 12));
    expect(removed).toMatchObject({
      status: 200,
      body: { audience_id: audience, session_id: 12, num_received: 1, num_invalid_entries: 0 },
    });

    const view = await inspect(`/audiences/${audience}`);
    expect(view.member_count).toBe(2);
    expect(view.members.flatMap((m: { identifiers: string[] }) => m.identifiers).sort()).toEqual(
      [`PHONE:${a}`, `PHONE:${c}`].sort(),
    );
    expect(view.history).toEqual([
      expect.objectContaining({
        op: 'add',
        session_id: 11,
        batch_seq: 1,
        num_received: 4,
        num_invalid_entries: 1,
        members_changed: 3,
        replayed: false,
      }),
      expect.objectContaining({ op: 'remove', session_id: 12, members_changed: 1 }),
    ]);
    const gone = await inspect(`/audiences/${audience}/members/${b}`);
    expect(gone).toMatchObject({ member: false, removed_at: expect.any(String) });
    expect(Date.parse(gone.removed_at)).toBeGreaterThanOrEqual(Date.parse(view.history[0].at));
    expect(await inspect(`/audiences/${audience}/members/${a}`)).toMatchObject({
      member: true,
      identifier_types: ['PHONE'],
    });
  });

  it('applies a re-sent batch once (idempotent per session_id and batch_seq)', async () => {
    const audience = newId();
    const first = await ads('POST', `/${audience}/users`, users([sha('a1'), sha('a2')], 21, 1, false));
    const again = await ads('POST', `/${audience}/users`, users([sha('a1'), sha('a2')], 21, 1, false));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    await ads('POST', `/${audience}/users`, users([sha('a3')], 21, 2, true));
    const view = await inspect(`/audiences/${audience}`);
    expect(view.member_count).toBe(3);
    expect(view.totals).toMatchObject({ batches: 2, replayed_batches: 1 });
  });

  it('rejects more than 10,000 rows with a 400 Graph error and accepts exactly 10,000', async () => {
    const audience = newId();
    const hashes = Array.from({ length: 10_001 }, (_, i) => sha(`p${i}`));
    const tooMany = await ads('POST', `/${audience}/users`, users(hashes, 31));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({
      code: 100,
      type: 'OAuthException',
      error_data: { max_rows: 10_000, rows: 10_001 },
    });
    const full = await ads('POST', `/${audience}/users`, users(hashes.slice(1), 32));
    expect(full.status).toBe(200);
    expect(full.body.num_received).toBe(10_000);
    expect((await inspect(`/audiences/${audience}?limit=1`)).member_count).toBe(10_000);
  });

  it('rejects a malformed payload with a 400 and an unknown object id as Graph does', async () => {
    const bad = await ads('POST', `/${newId()}/users`, {
      payload: { schema: ['SHOE_SIZE'], data: [['x']] },
      session: { session_id: 1, batch_seq: 1, last_batch_flag: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(100);
    const notJson = await sandbox.request('POST', `/ads/v25.0/${newId()}/users`, {
      body: '{"payload":',
      token: accountToken,
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatchObject({ code: 100, error_user_msg: 'The request body is not valid JSON' });
    const tooLarge = await ads(
      'POST',
      `/${newId()}/users`,
      users(
        Array.from({ length: 9_000 }, () => 'x'.repeat(1_000)),
        1,
      ),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error).toMatchObject({ code: 100, error_user_msg: 'The request body is too large' });
    const notAnId = await ads('POST', '/act_abc/users', users([sha('x')], 1));
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});

describe('Conversions API', () => {
  it('accepts a batch and keeps its events', async () => {
    const dataset = newId();
    const res = await ads('POST', `/${dataset}/events`, {
      data: [event('e1'), event('e2', { user_data: { em: [sha('joe@example.com')] } })],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ events_received: 2, messages: [], fbtrace_id: expect.any(String) });
    const view = await inspect(`/datasets/${dataset}/events`);
    expect(view.count).toBe(2);
    expect(view.events.map((e: { event_id: string }) => e.event_id)).toEqual(['e1', 'e2']);
    expect(view.events[0]).toMatchObject({
      action_source: 'business_messaging',
      messaging_channel: 'whatsapp',
      received_at: expect.any(String),
    });
  });

  it('rejects the whole batch for one bad event and names its index', async () => {
    const dataset = newId();
    const data = [
      event('b0'),
      event('b1'),
      event('b2'),
      event('b3', { user_data: { ph: ['16505551212'] } }),
      event('b4'),
    ];
    const res = await ads('POST', `/${dataset}/events`, { data });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      message: 'Invalid parameter at data[3]',
      type: 'OAuthException',
      code: 100,
      error_subcode: expect.any(Number),
      error_user_msg: expect.stringMatching(/^data\[3\]\.user_data\.ph: /),
      error_data: { event_index: 3, field: 'user_data.ph' },
      fbtrace_id: expect.any(String),
    });
    expect(res.text).not.toContain('16505551212');
    const view = await inspect(`/datasets/${dataset}/events`);
    expect(view.count).toBe(0);
    expect(view.totals.rejected_requests).toBe(1);

    // Without the bad event, the rest goes through.
    const rest = await ads('POST', `/${dataset}/events`, { data: data.filter((_, i) => i !== 3) });
    expect(rest.body.events_received).toBe(4);
  });

  it('rejects events older than 7 days or in the future, and more than 1,000 events', async () => {
    const dataset = newId();
    const old = await ads('POST', `/${dataset}/events`, {
      data: [event('o1'), event('o2', { event_time: nowS() - 8 * 86_400 })],
    });
    expect(old.status).toBe(400);
    expect(old.body.error).toMatchObject({
      error_subcode: 2804003,
      error_user_title: 'Event Timestamp Too Old',
      error_data: { event_index: 1, field: 'event_time' },
    });
    const sixDays = await ads('POST', `/${dataset}/events`, {
      data: [event('o3', { event_time: nowS() - 6 * 86_400 })],
    });
    expect(sixDays.status).toBe(200);
    const future = await ads('POST', `/${dataset}/events`, { data: [event('o4', { event_time: nowS() + 3600 })] });
    expect(future.status).toBe(400);
    expect(future.body.error.error_data).toEqual({ event_index: 0, field: 'event_time' });
    const tooMany = await ads('POST', `/${dataset}/events`, {
      data: Array.from({ length: 1001 }, (_, i) => event(`m${i}`)),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe(100);
  });

  it('deduplicates (event_name, event_id): the duplicate is accepted but kept once', async () => {
    const dataset = newId();
    expect((await ads('POST', `/${dataset}/events`, { data: [event('d1')] })).body.events_received).toBe(1);
    const again = await ads('POST', `/${dataset}/events`, {
      data: [event('d1'), event('d1', { event_name: 'Purchase' })],
    });
    expect(again.status).toBe(200);
    expect(again.body.events_received).toBe(2);
    const view = await inspect(`/datasets/${dataset}/events?event_id=d1`);
    expect(view.events.map((e: { event_name: string }) => e.event_name)).toEqual(['LeadSubmitted', 'Purchase']);
    expect(view.totals).toMatchObject({ events_received: 3, events_accepted: 2, events_deduplicated: 1 });
  });
});

describe('fault control', () => {
  it('is down for a while (5xx, Graph code 2, transient), then recovers by itself', async () => {
    const audience = newId();
    const set = await setFault({ mode: 'down', status: 503, forMs: 700 });
    expect(set.body).toMatchObject({ mode: 'down', status: 503, until: expect.any(String) });
    const down = await ads('POST', `/${audience}/users`, users([sha('f1')], 41));
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 2, is_transient: true });
    expect((await ads('POST', `/${newId()}/events`, { data: [event('f')] })).status).toBe(503);
    await new Promise((r) => setTimeout(r, 800));
    const back = await ads('POST', `/${audience}/users`, users([sha('f1')], 41));
    expect(back.status).toBe(200);
    expect((await inspect(`/audiences/${audience}`)).member_count).toBe(1);
  });

  it('is slow, then recovers when told', async () => {
    await setFault({ mode: 'slow', delayMs: 500 });
    let started = Date.now();
    expect((await ads('POST', `/${newId()}/events`, { data: [event('s1')] })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    await setFault({ mode: 'ok' });
    started = Date.now();
    expect((await ads('POST', `/${newId()}/events`, { data: [event('s2')] })).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('rate-limits a number of requests with 429 and code 17, scoped to one API', async () => {
    await setFault({ mode: 'rate_limit', remaining: 2, scope: 'audiences' });
    expect((await ads('POST', `/${newId()}/events`, { data: [event('r0')] })).status).toBe(200);
    const limited = await ads('POST', `/${newId()}/users`, users([sha('r1')], 51));
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 17, error_subcode: 2446079, is_transient: true });
    expect((await ads('DELETE', `/${newId()}/users`, users([sha('r1')], 52))).status).toBe(429);
    expect((await ads('POST', `/${newId()}/users`, users([sha('r1')], 53))).status).toBe(200);
  });

  it('validates the fault request', async () => {
    const res = await setFault({ mode: 'explode' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(100);
  });

  it('reset forgets audiences and datasets', async () => {
    const audience = newId();
    await ads('POST', `/${audience}/users`, users([sha('z')], 61));
    expect((await sandbox.request('POST', '/ads/_sandbox/reset')).body).toEqual({ reset: true });
    expect((await inspect(`/audiences/${audience}`)).member_count).toBe(0);
  });
});
