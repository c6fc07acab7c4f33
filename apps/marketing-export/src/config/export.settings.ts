import { MarketingExportEnv } from './marketing-export.env';

/** The export's own settings, derived once from the environment. */
export class ExportSettings {
  constructor(
    readonly adsApiUrl: string,
    readonly adsApiVersion: string,
    /** Base64 of the key that opens the tenants' sealed ads credentials. */
    readonly adsCredentialKey: string,
    readonly adsTimeoutMs: number,
    readonly consumerGroup: string,
    readonly consentGraceMs: number,
    readonly pollIntervalMs: number,
    readonly retryBaseMs: number,
    readonly retryMaxMs: number,
    readonly maxAttempts: number,
    /** How long a claimed batch may stay `sending` before another round takes it back (a crash mid-send). */
    readonly leaseMs: number = 120_000,
    /** Off in tests that drive rounds themselves. */
    readonly runWorker: boolean = true,
  ) {}

  static from(
    env: MarketingExportEnv,
    overrides: Partial<{ runWorker: boolean; leaseMs: number }> = {},
  ): ExportSettings {
    return new ExportSettings(
      env.ADS_API_URL.replace(/\/+$/, ''),
      env.ADS_API_VERSION,
      env.ADS_CREDENTIAL_KEY,
      env.ADS_API_TIMEOUT_MS,
      env.MARKETING_EXPORT_CONSUMER_GROUP,
      env.EXPORT_CONSENT_GRACE_MS,
      env.EXPORT_POLL_INTERVAL_MS,
      env.EXPORT_RETRY_BASE_MS,
      env.EXPORT_RETRY_MAX_MS,
      env.EXPORT_MAX_ATTEMPTS,
      overrides.leaseMs ?? 120_000,
      overrides.runWorker ?? true,
    );
  }
}
