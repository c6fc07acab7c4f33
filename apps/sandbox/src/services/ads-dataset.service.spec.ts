import { SandboxEnv } from '../config/sandbox.env';
import { FakeClock } from '../../test/fake-clock';
import { AdsDatasetService } from './ads-dataset.service';
import { AdsGraphError } from './ads-graph-error';

const H1 = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176';

function setup(maxEvents = 100) {
  const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
  const env = Object.assign(new SandboxEnv(), { SANDBOX_ADS_MAX_EVENTS: maxEvents, SANDBOX_ADS_MAX_OBJECTS: 10 });
  return { clock, service: new AdsDatasetService(env, clock) };
}

const ev = (clock: FakeClock, id: string, name = 'LeadSubmitted') => ({
  event_name: name,
  event_time: Math.floor(clock.now / 1000) - 10,
  event_id: id,
  action_source: 'business_messaging',
  messaging_channel: 'whatsapp',
  user_data: { ph: [H1] },
});

describe('AdsDatasetService', () => {
  it('keeps (event_name, event_id) once within 48 hours; the duplicate is received, not kept', () => {
    const { service, clock } = setup();
    expect(
      service.receive('9', { data: [ev(clock, 'a'), ev(clock, 'a'), ev(clock, 'a', 'Purchase')] }).events_received,
    ).toBe(3);
    clock.now += 47 * 3600 * 1000;
    expect(service.receive('9', { data: [ev(clock, 'a')] }).events_received).toBe(1);
    let view = service.inspect('9', { limit: 100 });
    expect(view.count).toBe(2);
    expect(view.totals).toMatchObject({ events_received: 4, events_accepted: 2, events_deduplicated: 2 });
    // More than 48 hours after the first copy: a new event.
    clock.now += 2 * 3600 * 1000;
    service.receive('9', { data: [ev(clock, 'a')] });
    view = service.inspect('9', { limit: 100, eventId: 'a' });
    expect(view.totals.events_accepted).toBe(3);
    expect(view.events.map((e) => e.event_name)).toEqual(['Purchase', 'LeadSubmitted']);
  });

  it('records a rejected request and keeps nothing of it', () => {
    const { service, clock } = setup();
    const bad = { ...ev(clock, 'b'), event_time: Math.floor(clock.now / 1000) - 8 * 86_400 };
    expect(() => service.receive('9', { data: [ev(clock, 'a'), bad] })).toThrow(AdsGraphError);
    const view = service.inspect('9', { limit: 100 });
    expect(view.count).toBe(0);
    expect(view.totals.rejected_requests).toBe(1);
    expect(view.rejections).toEqual([
      expect.objectContaining({ event_index: 1, field: 'event_time', error_subcode: 2804003 }),
    ]);
  });

  it('drops the oldest events beyond SANDBOX_ADS_MAX_EVENTS', () => {
    const { service, clock } = setup(3);
    service.receive('9', { data: ['a', 'b', 'c', 'd', 'e'].map((id) => ev(clock, id)) });
    const view = service.inspect('9', { limit: 100 });
    expect(view.events.map((e) => e.event_id)).toEqual(['c', 'd', 'e']);
    expect(view.totals.events_dropped).toBe(2);
  });
});
