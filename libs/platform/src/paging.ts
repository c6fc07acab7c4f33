import { applyDecorators, Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/**
 * A whole-number query parameter (`?limit=50`, `?after=12`): the query string's text is turned into
 * a number, then checked against the bounds, which OpenAPI shows too. Optional unless `required`.
 */
export function QueryInt(options: {
  min: number;
  max?: number;
  default?: number;
  required?: boolean;
  description?: string;
}): PropertyDecorator {
  const { min, required = false } = options;
  // Beyond 2^53 a number is no longer exact (and no database integer takes it): a 400, not a 500.
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const schema = {
    type: 'integer' as const,
    ...(options.description === undefined ? {} : { description: options.description }),
    minimum: min,
    maximum: max,
    ...(options.default === undefined ? {} : { default: options.default }),
  };
  return applyDecorators(
    ...(required ? [ApiProperty(schema)] : [ApiPropertyOptional(schema), IsOptional()]),
    // Digits only: `?from=` (empty), `1e3`, ` 7` or `0x10` are not integers, whatever Number() says.
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (/^-?\d{1,20}$/.test(value) ? Number(value) : Number.NaN) : value,
    ),
    IsInt({ message: `$property must be an integer between ${min} and ${max}` }),
    Min(min, { message: `$property must be an integer between ${min} and ${max}` }),
    Max(max, { message: `$property must be an integer between ${min} and ${max}` }),
  );
}

/** A page size: `limit`, 1 to `max`, `default` when absent. */
export function PageLimit(max: number, defaultLimit: number): PropertyDecorator {
  return QueryInt({ min: 1, max, default: defaultLimit, description: 'Page size.' });
}

/** An opaque page cursor (the previous page's `nextCursor`): optional, 1 to `maxLength` characters. */
export function PageCursor(maxLength: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description: "The previous page's `nextCursor`.", type: String, minLength: 1, maxLength }),
    IsOptional(),
    IsString(),
    Length(1, maxLength),
  );
}

/**
 * The base of a cursor-paged response: `data` (items of `item`) and `nextCursor` (null on the last
 * page). `export class ThingPageDto extends CursorPageDto(ThingDto) {}` names the schema.
 */
export function CursorPageDto<T>(item: ClassType<T>) {
  abstract class CursorPage {
    // Descriptions are given explicitly: libs are built by tsc, without the Swagger plugin that reads doc comments.
    @ApiProperty({ description: 'The items of this page.', type: [item] })
    data: T[];

    @ApiPropertyOptional({
      description: 'Give it as `cursor` to get the next page; null on the last page.',
      nullable: true,
      type: String,
    })
    nextCursor: string | null;
  }
  return CursorPage;
}
