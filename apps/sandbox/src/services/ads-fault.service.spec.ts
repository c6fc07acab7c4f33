import { FakeClock } from '../../test/fake-clock';
import { AdsFaultService } from './ads-fault.service';
import { AdsGraphError } from './ads-graph-error';

async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    const spec = (error as AdsGraphError).spec;
    return `${spec.status}/${spec.code}`;
  }
}

describe('AdsFaultService', () => {
  it('fails requests while down, then recovers by itself after forMs', async () => {
    const clock = new FakeClock(1_000_000);
    const faults = new AdsFaultService(clock);
    faults.set({ mode: 'down', status: 502, forMs: 1_000 });
    expect(await outcome(faults.enter('audiences'))).toBe('502/2');
    clock.now += 999;
    expect(await outcome(faults.enter('events'))).toBe('502/2');
    clock.now += 1;
    expect(await outcome(faults.enter('events'))).toBe('ok');
    expect(faults.current()).toMatchObject({ mode: 'ok' });
  });

  it('rate-limits a number of requests with 429 and the Graph code, only in its scope', async () => {
    const faults = new AdsFaultService(new FakeClock(1_000_000));
    faults.set({ mode: 'rate_limit', remaining: 2, scope: 'events' });
    expect(await outcome(faults.enter('audiences'))).toBe('ok');
    expect(await outcome(faults.enter('events'))).toBe('429/17');
    expect(faults.current()).toMatchObject({ mode: 'rate_limit', remaining: 1, hits: 1 });
    expect(await outcome(faults.enter('events'))).toBe('429/17');
    expect(await outcome(faults.enter('events'))).toBe('ok');
    faults.set({ mode: 'rate_limit', code: 4 });
    expect(await outcome(faults.enter('audiences'))).toBe('429/4');
  });

  it('slows requests down', async () => {
    const faults = new AdsFaultService(new FakeClock(1_000_000));
    faults.set({ mode: 'slow', delayMs: 150 });
    const started = Date.now();
    expect(await outcome(faults.enter('audiences'))).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
