import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EventBase, schemaFor } from './events';
import { fastCheckFor } from './fast-check';
import { Topic } from './topics';

export type EventValidation<T> = { ok: true; event: T } | { ok: false; errors: string[] };

/**
 * Validates an event for a topic; unknown properties are errors too, so nothing unexpected passes.
 * A valid event is returned as the same plain value (never converted to class instances).
 */
export function validateEvent<T extends EventBase = EventBase>(topic: Topic, value: unknown): EventValidation<T> {
  const schema = schemaFor(topic);
  if (!schema) {
    return { ok: false, errors: [`no schema registered for topic ${topic}`] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: ['event must be a JSON object'] };
  }
  // Valid events (nearly all of them) take the compiled check; the rest get class-validator's
  // own errors (and its final word: the compiled check only ever says yes when it is sure).
  if (fastCheckFor(schema)?.(value)) {
    return { ok: true, event: value as T };
  }
  const instance = plainToInstance(schema, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    return { ok: false, errors: errors.flatMap((e) => flatten(e, '')) };
  }
  // The value itself, as on the fast path: consumers get validated plain data either way.
  return { ok: true, event: value as T };
}

function flatten(error: ValidationError, prefix: string): string[] {
  const path = prefix ? `${prefix}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((m) => `${path}: ${m}`);
  return [...own, ...(error.children ?? []).flatMap((c) => flatten(c, path))];
}
