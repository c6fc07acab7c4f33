import { AdsGraphError } from './ads-graph-error';
import { MAX_AUDIENCE_ROWS, MAX_EVENTS, parseAudienceUpload, parseEventsBatch } from './ads-validation';

const H1 = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176';
const H2 = '2481f36dfc515ca76451aaadf1399026942a01ee50c6d0a61988b43cef039bc2';
const NOW = 1_764_000_000;
const session = { session_id: 42, batch_seq: 1, last_batch_flag: true };

function graphError(fn: () => unknown): AdsGraphError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AdsGraphError);
    return error as AdsGraphError;
  }
  throw new Error('expected an AdsGraphError');
}

describe('parseAudienceUpload', () => {
  it('accepts a single-key PHONE_SHA256 upload', () => {
    const upload = parseAudienceUpload({ payload: { schema: ['PHONE_SHA256'], data: [[H1], [H2]] }, session });
    expect(upload).toEqual({
      rows: [[`PHONE:${H1}`], [`PHONE:${H2}`]],
      numReceived: 2,
      numInvalid: 0,
      invalidSamples: {},
      session: { sessionId: 42, batchSeq: 1, lastBatchFlag: true },
    });
  });

  it('accepts payload and session as JSON strings (form-encoded calls) and a schema string', () => {
    const upload = parseAudienceUpload({
      payload: JSON.stringify({ schema: 'EMAIL_SHA256', data: [[H2]] }),
      session: JSON.stringify({ ...session, estimated_num_total: 1 }),
    });
    expect(upload.rows).toEqual([[`EMAIL:${H2}`]]);
    expect(upload.session.estimatedNumTotal).toBe(1);
  });

  it('accepts the multi-key form; empty values are missing values', () => {
    const upload = parseAudienceUpload({
      payload: {
        schema: ['PHONE', 'EMAIL'],
        data: [
          [H1, H2],
          ['', H2],
          [H1, ''],
        ],
      },
      session,
    });
    expect(upload.rows).toEqual([[`PHONE:${H1}`, `EMAIL:${H2}`], [`EMAIL:${H2}`], [`PHONE:${H1}`]]);
  });

  it('counts rows that are not SHA-256 hex as invalid, naming the row but never the value', () => {
    const upload = parseAudienceUpload({
      payload: { schema: ['PHONE_SHA256'], data: [[H1], ['16505551212'], [H1.toUpperCase()], [''], [H2]] },
      session,
    });
    expect(upload.numReceived).toBe(5);
    expect(upload.numInvalid).toBe(3);
    expect(upload.rows).toEqual([[`PHONE:${H1}`], [`PHONE:${H2}`]]);
    expect(Object.keys(upload.invalidSamples)).toEqual(['1', '2', '3']);
    expect(JSON.stringify(upload.invalidSamples)).not.toContain('16505551212');
  });

  it('rejects more than 10,000 rows with a 400', () => {
    const data = Array.from({ length: MAX_AUDIENCE_ROWS + 1 }, () => [H1]);
    const error = graphError(() => parseAudienceUpload({ payload: { schema: ['PHONE_SHA256'], data }, session }));
    expect(error.spec).toMatchObject({ status: 400, code: 100, data: { max_rows: 10_000, rows: 10_001 } });
    expect(
      parseAudienceUpload({ payload: { schema: ['PHONE_SHA256'], data: data.slice(1) }, session }).numReceived,
    ).toBe(10_000);
  });

  it.each([
    ['no payload', { session }, /payload is required/],
    ['no session', { payload: { schema: ['PHONE_SHA256'], data: [[H1]] } }, /session is required/],
    ['unknown schema key', { payload: { schema: ['PHONE', 'SHOE_SIZE'], data: [[H1, '']] }, session }, /schema\[1\]/],
    [
      'single key mixed in',
      { payload: { schema: ['PHONE_SHA256', 'EMAIL'], data: [[H1, H2]] }, session },
      /single-key/,
    ],
    ['no identifying key', { payload: { schema: ['FN', 'LN'], data: [[H1, H2]] }, session }, /no identifying key/],
    ['empty data', { payload: { schema: ['PHONE_SHA256'], data: [] }, session }, /non-empty/],
    [
      'row of the wrong width',
      { payload: { schema: ['PHONE', 'EMAIL'], data: [[H1, H2], [H1]] }, session },
      /data\[1\]/,
    ],
    [
      'batch_seq 0',
      { payload: { schema: ['PHONE_SHA256'], data: [[H1]] }, session: { ...session, batch_seq: 0 } },
      /batch_seq/,
    ],
    [
      'session_id a string',
      { payload: { schema: ['PHONE_SHA256'], data: [[H1]] }, session: { ...session, session_id: '42' } },
      /session_id/,
    ],
    [
      'last_batch_flag missing',
      { payload: { schema: ['PHONE_SHA256'], data: [[H1]] }, session: { session_id: 1, batch_seq: 1 } },
      /last_batch_flag/,
    ],
  ])('rejects %s with a 400', (_name, body, message) => {
    const error = graphError(() => parseAudienceUpload(body));
    expect(error.spec.status).toBe(400);
    expect(error.spec.code).toBe(100);
    expect(error.spec.userMsg).toMatch(message);
  });
});

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_name: 'LeadSubmitted',
    event_time: NOW - 60,
    event_id: 'wamid.1',
    action_source: 'business_messaging',
    messaging_channel: 'whatsapp',
    user_data: { ph: [H1], ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ', whatsapp_business_account_id: '1234567890' },
    ...overrides,
  };
}

describe('parseEventsBatch', () => {
  it('accepts a business-messaging event', () => {
    const batch = parseEventsBatch(
      { data: [event(), event({ event_id: 'wamid.2', user_data: { em: H2 } })], test_event_code: 'TEST1' },
      NOW,
    );
    expect(batch.events).toHaveLength(2);
    expect(batch.testEventCode).toBe('TEST1');
  });

  it('accepts data as a JSON string (form-encoded calls)', () => {
    expect(parseEventsBatch({ data: JSON.stringify([event()]) }, NOW).events).toHaveLength(1);
  });

  it.each([
    ['event_name', { event_name: '' }, 'event_name'],
    ['event_time in milliseconds', { event_time: NOW * 1000 }, 'event_time'],
    ['event_time a string', { event_time: String(NOW) }, 'event_time'],
    ['event_id missing', { event_id: undefined }, 'event_id'],
    ['action_source outside the enum', { action_source: 'whatsapp' }, 'action_source'],
    ['messaging_channel missing', { messaging_channel: undefined }, 'messaging_channel'],
    ['messaging_channel unknown', { messaging_channel: 'sms' }, 'messaging_channel'],
    ['user_data missing', { user_data: undefined }, 'user_data'],
    ['ph not hashed', { user_data: { ph: ['16505551212'] } }, 'user_data.ph'],
    ['em upper-case hex', { user_data: { em: [H2.toUpperCase()] } }, 'user_data.em'],
    ['ph empty array', { user_data: { ph: [], ctwa_clid: 'x' } }, 'user_data.ph'],
    [
      'waba id not numeric',
      { user_data: { ph: [H1], whatsapp_business_account_id: 'abc' } },
      'user_data.whatsapp_business_account_id',
    ],
    ['no customer information', { user_data: { foo: 'bar' } }, 'user_data'],
    ['custom_data an array', { custom_data: [1] }, 'custom_data'],
  ])('one bad event (%s) rejects the whole batch, naming its index', (_name, overrides, field) => {
    const data = [
      event(),
      event({ event_id: 'wamid.2' }),
      event({ event_id: 'wamid.3', ...overrides }),
      event({ event_id: 'wamid.4' }),
    ];
    const error = graphError(() => parseEventsBatch({ data }, NOW));
    expect(error.spec).toMatchObject({
      status: 400,
      code: 100,
      message: 'Invalid parameter at data[2]',
      data: { event_index: 2, field },
    });
    expect(error.spec.userMsg).toMatch(new RegExp(`^data\\[2\\]\\.${field.replace('.', '\\.')}: `));
    expect(error.spec.userMsg).not.toContain('16505551212');
  });

  it('enforces the 7-day age and rejects the future (60 s of clock skew tolerated)', () => {
    const at = (t: number) => () => parseEventsBatch({ data: [event({ event_time: t })] }, NOW);
    expect(at(NOW - 7 * 86_400)()).toBeDefined();
    expect(graphError(at(NOW - 7 * 86_400 - 1)).spec).toMatchObject({
      subcode: 2804003,
      userTitle: 'Event Timestamp Too Old',
      data: { event_index: 0, field: 'event_time' },
    });
    expect(at(NOW + 60)()).toBeDefined();
    expect(graphError(at(NOW + 61)).spec).toMatchObject({
      data: { event_index: 0, field: 'event_time' },
      userTitle: 'Event Timestamp In Future',
    });
  });

  it('accepts 1,000 events and rejects 1,001', () => {
    const data = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => event({ event_id: `e${i}` }));
    expect(parseEventsBatch({ data: data.slice(1) }, NOW).events).toHaveLength(1000);
    expect(graphError(() => parseEventsBatch({ data }, NOW)).spec).toMatchObject({ status: 400, code: 100 });
  });

  it.each([[{}], [{ data: [] }], [{ data: 'not json' }], [{ data: [event()], test_event_code: 7 }], [[]]])(
    'rejects a malformed request %p',
    (body) => {
      expect(graphError(() => parseEventsBatch(body, NOW)).spec.status).toBe(400);
    },
  );
});
