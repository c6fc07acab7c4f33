import { EventEmitter } from 'node:events';
import { resubscribeAfterFatalCrash } from './event.subscriber';

/** Just what the supervision reads of a kafkajs consumer: its CRASH event and disconnect. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    disconnect: jest.fn(async () => undefined),
  };
  const crash = (restart: boolean) => emitter.emit('consumer.crash', { payload: { restart, error: new Error('x') } });
  return { consumer: consumer as never, crash, disconnect: consumer.disconnect };
}
const logger = { warn: jest.fn(), log: jest.fn() };

describe('resubscribeAfterFatalCrash (a consumer kafkajs gave up on is subscribed again)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('subscribes again after a crash kafkajs will not restart, and not after one it restarts', async () => {
    const { consumer, crash, disconnect } = fakeConsumer();
    const again = jest.fn(async () => undefined);
    resubscribeAfterFatalCrash(consumer, 'g', () => false, again, logger);
    crash(true);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(again).not.toHaveBeenCalled();
    crash(false);
    await jest.advanceTimersByTimeAsync(999);
    expect(again).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(again).toHaveBeenCalledTimes(1);
  });

  it('backs off while subscribing fails, and stops trying once the app is stopping', async () => {
    const { consumer, crash } = fakeConsumer();
    let stopping = false;
    const again = jest.fn(async () => {
      throw new Error('broker not back');
    });
    resubscribeAfterFatalCrash(consumer, 'g', () => stopping, again, logger);
    crash(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(again).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(again).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(again).toHaveBeenCalledTimes(2);
    stopping = true;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(again).toHaveBeenCalledTimes(2);
  });

  it('does nothing when the crash comes while the app is stopping', async () => {
    const { consumer, crash } = fakeConsumer();
    const again = jest.fn(async () => undefined);
    resubscribeAfterFatalCrash(consumer, 'g', () => true, again, logger);
    crash(false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(again).not.toHaveBeenCalled();
  });
});
