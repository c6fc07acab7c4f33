import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

/** A TCP port from the environment: an integer 1..65535 (strings like "3000x" are rejected). */
export function EnvPort(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
    ),
    IsInt({ message: 'must be an integer port number (1-65535)' }),
    Min(1, { message: 'must be an integer port number (1-65535)' }),
    Max(65535, { message: 'must be an integer port number (1-65535)' }),
  );
}

export function EnvInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
    ),
    IsInt({ message: `must be an integer between ${min} and ${max}` }),
    Min(min, { message: `must be an integer between ${min} and ${max}` }),
    Max(max, { message: `must be an integer between ${min} and ${max}` }),
  );
}

export function EnvBoolean(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value,
    ),
    IsOptional(),
    IsBoolean({ message: 'must be true or false' }),
  );
}

/** A shared secret (HMAC key, access token, client secret) from the environment: at least 16 characters. */
export function EnvSecret(): PropertyDecorator {
  return applyDecorators(IsString(), MinLength(16, { message: 'must be at least 16 characters' }));
}

/** An http(s) URL from the environment; host names without a TLD (`http://ingest:3000`) are fine. */
export function EnvUrl(): PropertyDecorator {
  return IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] });
}

/** A 256-bit key from the environment, base64 (or base64url) of exactly 32 bytes. */
export function EnvKey256(): PropertyDecorator {
  return Matches(/^[A-Za-z0-9+/_-]{43}=?$/, {
    message: 'must be the base64 of 32 random bytes (openssl rand -base64 32)',
  });
}
