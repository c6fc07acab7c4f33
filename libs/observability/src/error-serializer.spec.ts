import { serializeError, statementName } from './error-serializer';

/** A TypeORM QueryFailedError as it arrives: the statement, its parameters, pg's error inside. */
function queryFailed(query: string, parameters: unknown[], driver: Record<string, unknown>): Error {
  const e = new Error(String(driver.message)) as Error & Record<string, unknown>;
  e.name = 'QueryFailedError';
  Object.assign(e, { query, parameters, driverError: driver, ...driver });
  return e;
}

describe('serializeError', () => {
  it('keeps a database error to its class, code, statement and named objects: no parameters, message or detail', () => {
    const e = queryFailed(
      'INSERT INTO messages (tenant_id, wa_id, body) VALUES ($1, $2, $3)',
      ['t1', '15550009876', 'my secret marker'],
      {
        message: 'duplicate key value violates unique constraint "messages_pkey"',
        code: '23505',
        severity: 'ERROR',
        detail: 'Key (wa_id)=(15550009876) already exists.',
        table: 'messages',
        constraint: 'messages_pkey',
        routine: '_bt_check_unique',
      },
    );
    const out = serializeError(e) as Record<string, unknown>;
    expect(out).toMatchObject({
      type: 'QueryFailedError',
      code: '23505',
      statement: 'INSERT INTO messages',
      table: 'messages',
      constraint: 'messages_pkey',
      routine: '_bt_check_unique',
    });
    const text = JSON.stringify(out);
    expect(text).not.toContain('15550009876');
    expect(text).not.toContain('my secret marker');
    expect(text).not.toContain('duplicate key');
    expect(String(out.stack)).toMatch(/^ {4}at /);
  });

  it('drops the quoted value of an input error (the cursor case: a date PostgreSQL refuses)', () => {
    const e = queryFailed('SELECT * FROM conversations WHERE at < $1', ['2026-02-31T00:00:00.000Z'], {
      message: 'date/time field value out of range: "2026-02-31T00:00:00.000Z"',
      code: '22008',
      severity: 'ERROR',
    });
    const text = JSON.stringify(serializeError(e));
    expect(text).toContain('22008');
    expect(text).not.toContain('2026-02-31');
  });

  it('treats a bare pg DatabaseError (outside TypeORM) the same way', () => {
    const e = Object.assign(new Error('invalid input syntax for type uuid: "15550009876"'), {
      name: 'error',
      code: '22P02',
      severity: 'ERROR',
    });
    const text = JSON.stringify(serializeError(e));
    expect(text).toContain('22P02');
    expect(text).not.toContain('15550009876');
  });

  it('keeps class, code and message of other errors, and follows causes', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
    const e = new Error('broker unavailable', { cause });
    expect(serializeError(e)).toMatchObject({
      type: 'Error',
      message: 'broker unavailable',
      cause: { type: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9092' },
    });
  });

  it('never copies other enumerable properties (a payload hung on an error)', () => {
    const e = Object.assign(new Error('handler failed'), { event: { text: { body: 'private words' } } });
    expect(JSON.stringify(serializeError(e))).not.toContain('private words');
  });

  it('passes non-errors through', () => {
    expect(serializeError('plain')).toEqual({ message: 'plain' });
    expect(serializeError(undefined)).toBeUndefined();
  });
});

describe('statementName', () => {
  it.each([
    ['INSERT INTO messages (a) VALUES ($1)', 'INSERT INTO messages'],
    ['  update consent_states SET status = $1', 'UPDATE consent_states'],
    ['DELETE FROM ingest.webhook_deliveries WHERE id = $1', 'DELETE FROM ingest.webhook_deliveries'],
    ['SELECT wa_id FROM x WHERE y = $1', 'SELECT'],
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'WITH'],
    ["INSERT INTO ('x') VALUES", 'INSERT'],
    [undefined, undefined],
  ])('%s → %s', (query, name) => {
    expect(statementName(query)).toBe(name);
  });
});
