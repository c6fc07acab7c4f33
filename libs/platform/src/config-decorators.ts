import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** A TCP port from the environment: an integer 1..65535 (strings like "3000x" are rejected). */
export function EnvPort(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value)),
    IsInt({ message: 'must be an integer port number (1-65535)' }),
    Min(1, { message: 'must be an integer port number (1-65535)' }),
    Max(65535, { message: 'must be an integer port number (1-65535)' }),
  );
}

export function EnvInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
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
