import { IsOptional, IsUrl, Matches } from 'class-validator';
import { EnvInt, EnvKey256, EnvPort, RemoteAuthEnv } from '@custody/platform';

export class MarketingExportEnv extends RemoteAuthEnv {
  /** Its own database logins: MARKETING_EXPORT_DATABASE_URL / MARKETING_EXPORT_DATABASE_PLATFORM_URL over the shared names. */
  static readonly SERVICE_PREFIX = 'MARKETING_EXPORT';

  @EnvPort()
  MARKETING_EXPORT_PORT = 3003;

  /** Base URL of the ads destination's Graph-style API (the sandbox's `/ads` on one machine). */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  ADS_API_URL: string;

  /** The Graph API version segment of every destination URL. */
  @IsOptional()
  @Matches(/^v\d{1,3}\.\d{1,3}$/, { message: 'must look like v21.0' })
  ADS_API_VERSION = 'v21.0';

  /**
   * The key (base64 of 32 bytes) that opens the tenants' ads credentials tenant-store seals for the
   * export (the same value as tenant-store's). Each destination is called with its own tenant's
   * token for that ad account; there is no platform-wide ads token.
   */
  @EnvKey256()
  ADS_CREDENTIAL_KEY: string;

  /** Timeout of one request to the destination (milliseconds); a timeout counts as transient. */
  @EnvInt(100, 120000)
  ADS_API_TIMEOUT_MS = 15000;

  /** Prefix of the export's Kafka consumer groups (`.consent`, `.candidates`, `.erasure` are appended). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,180}$/)
  MARKETING_EXPORT_CONSUMER_GROUP = 'custody-marketing-export';

  /** How long a candidate may wait for its consent or authorization state to arrive before it is suppressed (milliseconds). */
  @EnvInt(0, 600000)
  EXPORT_CONSENT_GRACE_MS = 5000;

  /** Pause of the sender between rounds when there is nothing due (milliseconds). */
  @EnvInt(10, 60000)
  EXPORT_POLL_INTERVAL_MS = 250;

  /** First retry delay after a destination outage (milliseconds); doubles per attempt, with jitter. */
  @EnvInt(10, 600000)
  EXPORT_RETRY_BASE_MS = 1000;

  /** Longest retry delay (milliseconds). */
  @EnvInt(100, 3600000)
  EXPORT_RETRY_MAX_MS = 300000;

  /** Attempts per record before it is recorded as rejected (`destination_unavailable`): nothing is retried forever. */
  @EnvInt(1, 1000)
  EXPORT_MAX_ATTEMPTS = 25;
}
