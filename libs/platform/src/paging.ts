import { applyDecorators, Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
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
}): PropertyDecorator {
  const { min, max, required = false } = options;
  const schema = {
    minimum: min,
    ...(max === undefined ? {} : { maximum: max }),
    ...(options.default === undefined ? {} : { default: options.default }),
  };
  return applyDecorators(
    ...(required ? [ApiProperty(schema)] : [ApiPropertyOptional(schema), IsOptional()]),
    Type(() => Number),
    IsInt(),
    Min(min),
    ...(max === undefined ? [] : [Max(max)]),
  );
}

/** A page size: `limit`, 1 to `max`, `default` when absent. */
export function PageLimit(max: number, defaultLimit: number): PropertyDecorator {
  return QueryInt({ min: 1, max, default: defaultLimit });
}

/** An opaque page cursor (the previous page's `nextCursor`): optional, 1 to `maxLength` characters. */
export function PageCursor(maxLength: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, minLength: 1, maxLength }),
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
    @ApiProperty({ type: [item] })
    data: T[];

    @ApiPropertyOptional({ nullable: true, type: String })
    nextCursor: string | null;
  }
  return CursorPage;
}
