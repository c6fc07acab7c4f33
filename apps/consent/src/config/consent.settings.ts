import type { WitnessConfig } from '../repositories/witness.repository';
import { ConsentEnv } from './consent.env';

/** The consent service's own settings, derived once from the environment. */
export class ConsentSettings {
  constructor(
    /** Prefix of each tenant log's origin. */
    readonly originPrefix: string,
    readonly sthIntervalMs: number,
    readonly sthMaxAgeMs: number,
    readonly consumerGroup: string,
    readonly appendBatchMax: number,
    /** Off in tests that drive signing themselves. */
    readonly runScheduler: boolean = true,
    /** Witnesses each new checkpoint is submitted to (CONSENT_WITNESSES). */
    readonly witnesses: WitnessConfig[] = [],
  ) {}

  static from(env: ConsentEnv, overrides: Partial<{ runScheduler: boolean }> = {}): ConsentSettings {
    return new ConsentSettings(
      env.CONSENT_LOG_ORIGIN,
      env.CONSENT_STH_INTERVAL_SECONDS * 1000,
      env.CONSENT_STH_MAX_AGE_SECONDS * 1000,
      env.CONSENT_CONSUMER_GROUP,
      env.CONSENT_APPEND_BATCH_MAX,
      overrides.runScheduler ?? true,
      parseWitnesses(env.CONSENT_WITNESSES),
    );
  }

  /** Kafka consumer group for erasure requests (beside the inbound one, so neither waits on the other). */
  get erasureConsumerGroup(): string {
    return `${this.consumerGroup}-erasure`;
  }

  /** Kafka consumer group for offboarding requests. */
  get offboardingConsumerGroup(): string {
    return `${this.consumerGroup}-offboarding`;
  }

  /**
   * The bound an inclusion promise states: an appended entry is in a signed checkpoint within this
   * long. The scheduler signs every log that grew once per interval, so two intervals leave one
   * interval of slack for a slow round.
   */
  get maxMergeDelayMs(): number {
    return 2 * this.sthIntervalMs;
  }

  originFor(tenantId: string): string {
    return `${this.originPrefix}/${tenantId}`;
  }
}

/** `CONSENT_WITNESSES`: comma-separated `<witness verifier key> <submission URL>` pairs. */
export function parseWitnesses(value: string | undefined): WitnessConfig[] {
  return (value ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const [verifierKey, url] = pair.split(/\s+/);
      return { verifierKey, url };
    });
}
