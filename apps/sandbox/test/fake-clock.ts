import { ClockRepository } from '../src/repositories/clock.repository';

/** A clock the unit tests move by hand (`clock.now += ms`). */
export class FakeClock extends ClockRepository {
  constructor(public now: number) {
    super();
  }

  override nowMs(): number {
    return this.now;
  }
}
