import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { EnvInt, EnvPort, RemoteAuthEnv } from '@custody/platform';

const VKEY = String.raw`[^\s+,]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}`;
const WITNESS = String.raw`${VKEY}\s+https?://[^\s,]+`;

export class ConsentEnv extends RemoteAuthEnv {
  /** Its own database logins: CONSENT_DATABASE_URL / CONSENT_DATABASE_PLATFORM_URL over the shared names. */
  static readonly SERVICE_PREFIX = 'CONSENT';

  @EnvPort()
  CONSENT_PORT = 3002;

  /**
   * The consent log's signing key: a file holding one private Ed25519 JWK, or `{ "keys": [...] }`
   * (the first key signs, every key is published, for rotation). From a secret, never a default.
   */
  @IsString()
  @IsNotEmpty()
  CONSENT_LOG_KEY_FILE: string;

  /**
   * JSON file of the master keys (as tenant-store's): consent unwraps the tenants' data keys that
   * tenant-store distributes (wrapped) on the tenants topic, to read customers' messages for
   * STOP/START and to seal its replies. It never wraps or creates a key.
   */
  @IsString()
  @IsNotEmpty()
  MASTER_KEY_FILE: string;

  /** Prefix of every tenant log's origin (`<prefix>/<tenantId>`), the name auditors pin. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/, {
    message: 'must be a host-like name, e.g. consent.custody.example',
  })
  CONSENT_LOG_ORIGIN = 'consent.custody.local';

  /** How often the scheduler signs tree heads for logs that grew (seconds). */
  @EnvInt(1, 86400)
  CONSENT_STH_INTERVAL_SECONDS = 60;

  /** A log that did not grow still gets a fresh signed head this often (seconds), so auditors see it is live. */
  @EnvInt(60, 7 * 86400)
  CONSENT_STH_MAX_AGE_SECONDS = 3600;

  /** Kafka consumer group for in-chat STOP/START (inbound messages). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/)
  CONSENT_CONSUMER_GROUP = 'custody-consent';

  /**
   * Witnesses that cosign each new checkpoint (C2SP tlog-witness): comma-separated
   * `<verifier key> <submission URL>` pairs, e.g. `witness.example/w1+20324abe+BCms… https://w1.example`.
   * Empty: checkpoints are only signed by the log.
   */
  @IsOptional()
  @Matches(new RegExp(`^\\s*(${WITNESS}(\\s*,\\s*${WITNESS})*)?\\s*$`), {
    message: 'must be comma-separated "<witness verifier key> <http(s) URL>" pairs',
  })
  CONSENT_WITNESSES = '';

  /** At most this many appends share one transaction (group commit per tenant). */
  @EnvInt(1, 10000)
  CONSENT_APPEND_BATCH_MAX = 500;
}
