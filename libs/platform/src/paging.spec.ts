import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CursorPageDto, PageCursor, PageLimit, QueryInt } from './paging';

class QueryDto {
  @PageLimit(200, 50)
  limit?: number;

  @PageCursor(10)
  cursor?: string;

  @QueryInt({ min: 0, required: true })
  from: number;
}

class ItemDto {
  id: string;
}

class ItemPageDto extends CursorPageDto(ItemDto) {}

const check = (query: Record<string, string>) => {
  const dto = plainToInstance(QueryDto, query);
  return { dto, errors: validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property) };
};

describe('paging decorators', () => {
  it('turns query text into numbers and accepts what is in bounds', () => {
    const { dto, errors } = check({ limit: '200', cursor: 'abc', from: '0' });
    expect(errors).toEqual([]);
    expect(dto.limit).toBe(200);
    expect(dto.from).toBe(0);
  });

  it('leaves optional parameters optional and the required one required', () => {
    expect(check({ from: '3' }).errors).toEqual([]);
    expect(check({}).errors).toEqual(['from']);
  });

  it('rejects out-of-bounds, fractional and non-numeric limits and over-long or empty cursors', () => {
    expect(check({ from: '0', limit: '0' }).errors).toEqual(['limit']);
    expect(check({ from: '0', limit: '201' }).errors).toEqual(['limit']);
    expect(check({ from: '0', limit: '1.5' }).errors).toEqual(['limit']);
    expect(check({ from: '0', limit: 'ten' }).errors).toEqual(['limit']);
    expect(check({ from: '-1' }).errors).toEqual(['from']);
    expect(check({ from: '0', cursor: 'x'.repeat(11) }).errors).toEqual(['cursor']);
    expect(check({ from: '0', cursor: '' }).errors).toEqual(['cursor']);
  });

  it('answers 400 (not 0, not a lossy number) for empty, huge and non-decimal integers', () => {
    for (const from of ['', ' 7', '1e3', '0x10', '99999999999999999999', '9007199254740993']) {
      expect({ from, errors: check({ from }).errors }).toEqual({ from, errors: ['from'] });
    }
    expect(check({ from: '9007199254740991' }).errors).toEqual([]);
  });

  it('documents bounds, defaults and the page shape for OpenAPI', () => {
    const property = (target: object, name: string) =>
      Reflect.getMetadata('swagger/apiModelProperties', target, name) as Record<string, unknown>;
    expect(property(QueryDto.prototype, 'limit')).toMatchObject({
      required: false,
      minimum: 1,
      type: 'integer',
      maximum: 200,
      default: 50,
    });
    expect(property(QueryDto.prototype, 'cursor')).toMatchObject({ required: false, minLength: 1, maxLength: 10 });
    expect(property(QueryDto.prototype, 'from')).toMatchObject({ minimum: 0 });
    expect(property(QueryDto.prototype, 'from').required).not.toBe(false);
    expect(property(QueryDto.prototype, 'from')).toMatchObject({ type: 'integer', maximum: Number.MAX_SAFE_INTEGER });
    expect(property(ItemPageDto.prototype, 'data')).toMatchObject({ type: ItemDto, isArray: true });
    expect(property(ItemPageDto.prototype, 'nextCursor')).toMatchObject({
      required: false,
      nullable: true,
      type: String,
    });
  });
});
