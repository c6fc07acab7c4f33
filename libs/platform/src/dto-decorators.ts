import { ValidateIf } from 'class-validator';

/**
 * An optional body field that, when given, must be valid: unlike `@IsOptional()`, an explicit
 * `null` is validated (and refused by the field's other rules) instead of reaching the database.
 */
export function OmittedOrSet(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
