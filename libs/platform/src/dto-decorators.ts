import { ValidateIf } from 'class-validator';
import { ApiOkResponse } from '@nestjs/swagger';

/**
 * An optional body field that, when given, must be valid: unlike `@IsOptional()`, an explicit
 * `null` is validated (and refused by the field's other rules) instead of reaching the database.
 */
export function OmittedOrSet(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/**
 * The success response of a route that answers in another type than JSON (text, JSON Lines, bytes).
 * Used instead of `@ApiProduces`, which would claim that type for the route's error answers too:
 * those stay JSON in the API's error shape.
 */
export function ApiOkContent(contentType: string, description: string, binary = false): MethodDecorator {
  return ApiOkResponse({
    description,
    content: { [contentType]: { schema: binary ? { type: 'string', format: 'binary' } : { type: 'string' } } },
  });
}
