import { SandboxEnv } from '../config/sandbox.env';
import { FakeClock } from '../../test/fake-clock';
import { AdsAudienceService } from './ads-audience.service';
import { AdsGraphError } from './ads-graph-error';

const H1 = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176';
const H2 = '2481f36dfc515ca76451aaadf1399026942a01ee50c6d0a61988b43cef039bc2';
const H3 = 'eff2b7f8ef1c0c37569e2ea19c5679ff6b3e5d826da27034d3c29948b856c6c8';

function setup(maxMembers = 100) {
  const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
  const env = Object.assign(new SandboxEnv(), { SANDBOX_ADS_MAX_MEMBERS: maxMembers, SANDBOX_ADS_MAX_OBJECTS: 3 });
  return { clock, service: new AdsAudienceService(env, clock) };
}

function userMsg(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as AdsGraphError).spec.userMsg ?? '';
  }
  throw new Error('expected an AdsGraphError');
}

const body = (schema: string[], data: string[][], sessionId: number, batchSeq = 1, last = true) => ({
  payload: { schema, data },
  session: { session_id: sessionId, batch_seq: batchSeq, last_batch_flag: last },
});

describe('AdsAudienceService', () => {
  it('adds and removes members, with timestamps', () => {
    const { service, clock } = setup();
    expect(service.apply('add', '1', body(['PHONE_SHA256'], [[H1], [H2], ['bad']], 1))).toEqual({
      audience_id: '1',
      session_id: 1,
      num_received: 3,
      num_invalid_entries: 1,
      invalid_entry_samples: { '2': expect.any(String) },
    });
    expect(service.inspect('1', 100).member_count).toBe(2);
    clock.now += 5_000;
    service.apply('remove', '1', body(['PHONE_SHA256'], [[H1]], 2));
    const view = service.inspect('1', 100);
    expect(view.member_count).toBe(1);
    expect(view.totals).toMatchObject({ members_added: 2, members_removed: 1, rows_invalid: 1, batches: 2 });
    expect(view.history.map((h) => [h.op, h.members_changed])).toEqual([
      ['add', 2],
      ['remove', 1],
    ]);
    expect(service.member('1', H1)).toEqual({
      audience_id: '1',
      hash: H1,
      member: false,
      identifier_types: [],
      removed_at: '2026-11-25T12:00:05.000Z',
    });
    expect(service.member('1', H2)).toMatchObject({
      member: true,
      identifier_types: ['PHONE'],
      added_at: '2026-11-25T12:00:00.000Z',
    });
  });

  it('applies a re-sent (session_id, batch_seq) once and answers it as before', () => {
    const { service } = setup();
    const first = service.apply('add', '1', body(['PHONE_SHA256'], [[H1]], 7, 1, false));
    expect(service.apply('add', '1', body(['PHONE_SHA256'], [[H1], [H2]], 7, 1, false))).toEqual(first);
    service.apply('add', '1', body(['PHONE_SHA256'], [[H2]], 7, 2, true));
    const view = service.inspect('1', 100);
    expect(view.member_count).toBe(2);
    expect(view.totals.replayed_batches).toBe(1);
    expect(view.sessions).toEqual([
      expect.objectContaining({
        op: 'add',
        session_id: 7,
        batches_received: 2,
        num_received: 2,
        ended_at: expect.any(String),
      }),
    ]);
    // The last batch was received: the session accepts no new batch, but its batches may be re-sent.
    expect(userMsg(() => service.apply('add', '1', body(['PHONE_SHA256'], [[H3]], 7, 3, true)))).toMatch(
      /already received its last batch/,
    );
    expect(service.apply('add', '1', body(['PHONE_SHA256'], [[H2]], 7, 2, true)).num_received).toBe(1);
  });

  it('treats rows sharing an identifier as one person; removing by any identifier removes it', () => {
    const { service } = setup();
    service.apply('add', '1', body(['PHONE', 'EMAIL'], [[H1, H2]], 1));
    service.apply('add', '1', body(['EMAIL_SHA256'], [[H2]], 2));
    expect(service.inspect('1', 100).member_count).toBe(1);
    service.apply('remove', '1', body(['EMAIL_SHA256'], [[H2]], 3));
    expect(service.inspect('1', 100).member_count).toBe(0);
    expect(service.member('1', H1).member).toBe(false);
    expect(service.member('1', H1).removed_at).toBeDefined();
  });

  it('keeps audiences apart and bounds members and audiences', () => {
    const { service } = setup(2);
    service.apply('add', '1', body(['PHONE_SHA256'], [[H1], [H2]], 1));
    expect(service.inspect('2', 10).member_count).toBe(0);
    expect(userMsg(() => service.apply('add', '1', body(['PHONE_SHA256'], [[H3]], 2)))).toMatch(
      /SANDBOX_ADS_MAX_MEMBERS/,
    );
    service.apply('add', '2', body(['PHONE_SHA256'], [[H3]], 1));
    service.apply('add', '3', body(['PHONE_SHA256'], [[H3]], 1));
    expect(userMsg(() => service.apply('add', '4', body(['PHONE_SHA256'], [[H3]], 1)))).toMatch(
      /SANDBOX_ADS_MAX_OBJECTS/,
    );
    service.reset();
    expect(service.inspect('1', 10).member_count).toBe(0);
  });
});
