import { Injectable } from '@nestjs/common';

/** The time, as one seam: unit tests replace it to move through the 7-day and 48-hour windows. */
@Injectable()
export class ClockRepository {
  nowMs(): number {
    return Date.now();
  }
}
