import { IsNotEmpty, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { EnvBoolean, EnvInt, EnvKey256, EnvPort, EnvUrl, ServiceEnv } from '@custody/platform';

export class TenantStoreEnv extends ServiceEnv {
  /** Its own database logins: TENANT_STORE_DATABASE_URL / TENANT_STORE_DATABASE_PLATFORM_URL over the shared names. */
  static readonly SERVICE_PREFIX = 'TENANT_STORE';

  @EnvPort()
  TENANT_STORE_PORT = 3001;

  /** A JSON file `{ "keys": [private JWKs] }`; the first key signs, all are published. */
  @IsString()
  @IsNotEmpty()
  JWT_SIGNING_KEYS_FILE: string;

  /** Lifetime of issued access tokens. */
  @EnvInt(60, 86400)
  TOKEN_TTL_SECONDS = 900;

  /** The platform operator's client credentials (from a secret). */
  @IsString()
  @MinLength(3)
  OPERATOR_CLIENT_ID: string;

  /** At least 32 random bytes, base64 or base64url (e.g. `openssl rand -base64 32`). */
  @IsString()
  @MinLength(43, {
    message: 'must be at least 32 random bytes, i.e. 43+ base64 characters (openssl rand -base64 32)',
  })
  OPERATOR_CLIENT_SECRET: string;

  /** How often the retention purge runs (0: never on its own; operators can still run it). */
  @EnvInt(0, 86400)
  RETENTION_PURGE_INTERVAL_SECONDS = 300;

  /** Rows per DELETE of the retention purge. */
  @EnvInt(10, 100000)
  RETENTION_BATCH_SIZE = 1000;

  /** Operator limits of a tenant's message retention (days). */
  @EnvInt(1, 3650)
  RETENTION_MIN_DAYS = 1;

  @EnvInt(1, 3650)
  RETENTION_MAX_DAYS = 365;

  /**
   * Lets a tenant's webhookUrl (set by the operator at creation) name a loopback address: local
   * development and tests only, as ingest's setting of the same name; off by default.
   */
  @EnvBoolean()
  EGRESS_ALLOW_LOOPBACK = false;

  /** JSON file of master keys (`{"keys":[{"id","key"}]}`, first active) that wrap the tenants' data keys. */
  @IsString()
  @IsNotEmpty()
  MASTER_KEY_FILE: string;

  /**
   * tenant-store's public base URL as clients reach it (e.g. `https://api.custody.example.com`):
   * media download URLs start with it. Unset: they are paths (`/v1/media/…`), relative to the API.
   * Never taken from a request's Host header.
   */
  @IsOptional()
  @EnvUrl()
  PUBLIC_BASE_URL?: string;

  /**
   * Base URL of the ads platform's Graph-style API (the sandbox's `/ads` on one machine), where a
   * tenant's ads credential and the ownership of an audience or dataset are checked before an
   * authorization is recorded. Unset: marketing authorizations and ads credentials answer 503.
   */
  @IsOptional()
  @EnvUrl()
  ADS_API_URL?: string;

  /** The Graph API version segment of those checks. */
  @IsOptional()
  @Matches(/^v\d{1,3}\.\d{1,3}$/, { message: 'must look like v21.0' })
  ADS_API_VERSION = 'v21.0';

  /** Timeout of one check at the ads platform (milliseconds). */
  @EnvInt(100, 60000)
  ADS_API_TIMEOUT_MS = 5000;

  /**
   * The key (base64 of 32 bytes) that seals a tenant's ads credential for marketing-export on its
   * way through Kafka; the same value as marketing-export's. Unset: as ADS_API_URL.
   */
  @IsOptional()
  @EnvKey256()
  ADS_CREDENTIAL_KEY?: string;
}
