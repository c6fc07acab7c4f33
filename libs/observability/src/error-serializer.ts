/**
 * How an error reaches a log line: what it is and where it was thrown, never the data it was
 * thrown over. pino's standard serializer copies every enumerable property, and TypeORM's
 * QueryFailedError carries the statement's `parameters` (message bodies, phone numbers, secrets)
 * and `driverError`; PostgreSQL's messages and details quote the offending value ("invalid input
 * syntax for type uuid: …", "Key (wa_id)=(…) already exists"). So:
 * - a database error keeps its class, SQLSTATE code, the statement's first words (`INSERT INTO
 *   messages`), and the table, column, constraint and routine PostgreSQL names; not its message,
 *   detail, hint, where, query or parameters;
 * - any other error keeps its class, code and message (our own messages carry ids, not content);
 * - the stack keeps only its frames (its first line repeats the message); causes follow, to a depth.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? { message: value } : value;
  }
  const e = value as Record<string, unknown> & { name?: unknown; stack?: unknown };
  const type = typeof e.name === 'string' ? e.name : (value.constructor?.name ?? 'Object');
  const out: Record<string, unknown> = { type };
  if (typeof e.code === 'string' || typeof e.code === 'number') {
    out.code = e.code;
  }
  if (isDatabaseError(e)) {
    const driver = (e.driverError ?? e) as Record<string, unknown>;
    out.code ??= driver.code;
    const statement = statementName(e.query);
    if (statement) {
      out.statement = statement;
    }
    for (const key of ['table', 'column', 'constraint', 'routine', 'severity'] as const) {
      if (typeof driver[key] === 'string') {
        out[key] = driver[key];
      }
    }
  } else if (typeof e.message === 'string') {
    out.message = e.message;
  }
  if (typeof e.stack === 'string') {
    out.stack = framesOf(e.stack);
  }
  if (e.cause !== undefined && depth < 3) {
    out.cause = serializeError(e.cause, depth + 1);
  }
  return out;
}

function isDatabaseError(e: Record<string, unknown>): boolean {
  return (
    e.name === 'QueryFailedError' ||
    // pg's DatabaseError (thrown outside TypeORM): a SQLSTATE code and a severity.
    (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string')
  );
}

/** `INSERT INTO messages`, `SELECT`, `UPDATE consent_states`: which statement, none of its values. */
export function statementName(query: unknown): string | undefined {
  if (typeof query !== 'string') {
    return undefined;
  }
  const [first, second, third] = query.trim().split(/\s+/, 3);
  const verb = first?.toUpperCase();
  if (!verb || !/^[A-Z]+$/.test(verb)) {
    return undefined;
  }
  const target = verb === 'UPDATE' ? second : verb === 'INSERT' || verb === 'DELETE' ? third : undefined;
  if (!target || !/^[A-Za-z_][\w.]*$/.test(target)) {
    return verb;
  }
  return `${verb}${verb === 'INSERT' ? ' INTO ' : verb === 'DELETE' ? ' FROM ' : ' '}${target}`;
}

/** The stack's frames (`at …` lines), without the first line that repeats the message. */
function framesOf(stack: string): string {
  const at = stack.indexOf('\n    at ');
  return at === -1 ? '' : stack.slice(at + 1);
}
