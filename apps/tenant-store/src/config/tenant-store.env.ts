import { IsNotEmpty, IsOptional, IsString, MinLength } from 'class-validator';
import { EnvInt, EnvPort, ServiceEnv } from '@custody/platform';

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

  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  OPERATOR_CLIENT_SECRET: string;

  @IsOptional()
  @IsString()
  DATABASE_APP_ROLE = 'custody_app';

  /** JSON file of master keys (`{"keys":[{"id","key"}]}`, first active) that wrap the tenants' data keys. */
  @IsString()
  @IsNotEmpty()
  MASTER_KEY_FILE: string;
}
