import { IsNotEmpty, IsOptional, IsString, MinLength } from 'class-validator';
import { EnvInt, EnvPort, EnvSecret, ServiceEnv } from '@custody/platform';

export class TenantStoreEnv extends ServiceEnv {
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

  @EnvSecret()
  OPERATOR_CLIENT_SECRET: string;

  @IsOptional()
  @IsString()
  DATABASE_APP_ROLE = 'custody_app';

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

  /** JSON file of master keys (`{"keys":[{"id","key"}]}`, first active) that wrap the tenants' data keys. */
  @IsString()
  @IsNotEmpty()
  MASTER_KEY_FILE: string;
}
