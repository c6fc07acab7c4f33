import { isTransientStatus, parseGraphError } from './graph-error';

describe('parseGraphError', () => {
  it('keeps the Graph error fields and finds the index in error_data', () => {
    const parsed = parseGraphError(400, {
      error: {
        message: 'Invalid parameter',
        type: 'OAuthException',
        code: 100,
        error_subcode: 2804003,
        fbtrace_id: 'AbC',
        error_data: { index: 3 },
      },
    });
    expect(parsed).toEqual({
      error: { status: 400, message: 'Invalid parameter', code: 100, subcode: 2804003, fbtraceId: 'AbC' },
      index: 3,
    });
  });

  it('finds the index in a JSON string error_data or in the message', () => {
    expect(parseGraphError(400, { error: { message: 'x', error_data: '{"event_index":"7"}' } }).index).toBe(7);
    expect(parseGraphError(400, { error: { message: 'The event at data[12] is too old' } }).index).toBe(12);
    expect(parseGraphError(400, { error: { message: 'x', error_user_msg: 'Event at index 5 is invalid' } }).index).toBe(
      5,
    );
    expect(parseGraphError(400, { error: { message: 'no position' } }).index).toBeUndefined();
  });

  it('survives bodies that are not Graph errors', () => {
    expect(parseGraphError(502, null)).toEqual({ error: { status: 502, message: 'HTTP 502' } });
    expect(parseGraphError(400, 'oops')).toEqual({ error: { status: 400, message: 'HTTP 400' } });
  });

  it('classifies 429, 408 and 5xx as transient, other 4xx as permanent', () => {
    expect([429, 408, 500, 503].map(isTransientStatus)).toEqual([true, true, true, true]);
    expect([400, 401, 403, 404, 422].map(isTransientStatus)).toEqual([false, false, false, false, false]);
  });
});
