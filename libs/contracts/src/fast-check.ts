import { getMetadataStorage, IS_ISO8601, ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { MetadataStorage as TransformerMetadata } from 'class-transformer/types/MetadataStorage';

// class-transformer keeps the `@Type(() => X)` facts in this storage (not re-exported by its index);
// the nested class of a property is read from there, exactly as plainToInstance does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadata;
};

/**
 * A fast yes/no check of a plain JSON value against a class's class-validator decorators, with
 * the options Custody validates events with (whitelist, forbidNonWhitelisted, forbidUnknownValues).
 *
 * Why: every event is validated when it is produced and again when it is consumed, and the
 * general-purpose path (plainToInstance + validateSync) spent 20–40% of the message path's CPU
 * re-reading the decorator metadata and building error objects for valid events. This compiles
 * the metadata once per class into a list of property checks that call the very same constraint
 * functions class-validator would call, and builds nothing.
 *
 * It is one-sided by design: it answers `true` only when every constraint passes; anything it does
 * not model (other decorator kinds, async constraints, a nested property without `@Type`) makes
 * the class "not compilable" and the caller uses class-validator itself. On `false` the caller runs
 * class-validator too, for the error messages, so a `false` from here is never the final word.
 */
export type FastCheck = (value: unknown) => boolean;

/** A decorated class, as class-validator's metadata storage names it. */
type DecoratedClass = Parameters<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[0];

interface PropertyCheck {
  name: string;
  /** ValidateIf / IsOptional conditions: when one is false, the property is not validated. */
  conditions: Array<(object: object, value: unknown) => boolean>;
  constraints: Array<{
    each: boolean;
    validate: (value: unknown, args: ValidationArguments) => boolean;
    metadata: ValidationMetadata;
  }>;
  /** The class of a `@ValidateNested()` property (from `@Type`). */
  nested?: () => FastCheck | undefined;
}

const compiled = new Map<DecoratedClass, FastCheck | null>();

const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two or four ASCII digits of `s` at `at`, as a number (the pattern has checked they are digits). */
function digits(s: string, at: number, n: 2 | 4): number {
  let v = 0;
  for (let i = at; i < at + n; i += 1) {
    v = v * 10 + (s.charCodeAt(i) - 48);
  }
  return v;
}

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` naming a real instant (Date#toISOString's own form): a real calendar
 * date (leap years included) and a time of day. Arithmetic only, no Date objects: this runs for
 * every timestamp of every event, produced and consumed.
 */
export function isCanonicalUtc(value: unknown): boolean {
  if (typeof value !== 'string' || value.length !== 24 || !CANONICAL_UTC.test(value)) {
    return false;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (month < 1 || month > 12 || day < 1) {
    return false;
  }
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= days && digits(value, 11, 2) < 24 && digits(value, 14, 2) < 60 && digits(value, 17, 2) < 60;
}

/** The compiled check for a class, or undefined when the class uses something it does not model. */
export function fastCheckFor(target: DecoratedClass): FastCheck | undefined {
  if (!compiled.has(target)) {
    compiled.set(target, null); // guards recursive classes while compiling
    compiled.set(target, compile(target) ?? null);
  }
  return compiled.get(target) ?? undefined;
}

function compile(target: DecoratedClass): FastCheck | undefined {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) {
    return undefined;
  }
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyCheck[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    const property: PropertyCheck = { name, conditions: [], constraints: [] };
    for (const metadata of list) {
      switch (metadata.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          property.conditions.push(metadata.constraints[0] as (object: object, value: unknown) => boolean);
          break;
        case ValidationTypes.CUSTOM_VALIDATION: {
          if (metadata.validateIf) {
            return undefined;
          }
          for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
            if (constraint.async) {
              return undefined;
            }
            const instance = constraint.instance as {
              validate: (value: unknown, args: ValidationArguments) => unknown;
            };
            const general = (value: unknown, args: ValidationArguments): boolean =>
              instance.validate(value, args) === true;
            property.constraints.push({
              each: metadata.each === true,
              // Timestamps are nearly always what Date#toISOString writes; those are ISO 8601 (also
              // in strict mode: a round trip proves a real calendar date) without the general
              // pattern, which was the largest part of checking an event.
              validate:
                metadata.name === IS_ISO8601 ? (value, args) => isCanonicalUtc(value) || general(value, args) : general,
              metadata,
            });
          }
          break;
        }
        case ValidationTypes.NESTED_VALIDATION: {
          const type = defaultMetadataStorage.findTypeMetadata(target, name);
          if (!type || type.options?.discriminator) {
            return undefined;
          }
          const nestedClass: DecoratedClass = type.typeFunction();
          property.nested = () => fastCheckFor(nestedClass);
          break;
        }
        default:
          return undefined;
      }
    }
    properties.push(property);
  }
  const allowed = new Set(properties.map((p) => p.name));
  const targetName = target.name;

  return (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return false;
    }
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (!allowed.has(key)) {
        return false;
      }
    }
    for (const property of properties) {
      const v = object[property.name];
      let skip = false;
      for (const condition of property.conditions) {
        if (!condition(object, v)) {
          skip = true;
          break;
        }
      }
      if (skip) {
        continue;
      }
      for (const c of property.constraints) {
        const args: ValidationArguments = {
          targetName,
          property: property.name,
          object,
          value: v,
          constraints: c.metadata.constraints,
        };
        if (c.each && (Array.isArray(v) || v instanceof Set || v instanceof Map)) {
          for (const item of Array.isArray(v) ? v : [...(v as Set<unknown>).values()]) {
            if (!c.validate(item, args)) {
              return false;
            }
          }
        } else if (!c.validate(v, args)) {
          return false;
        }
      }
      if (property.nested && v !== undefined) {
        const check = property.nested();
        if (!check) {
          return false;
        }
        if (Array.isArray(v)) {
          if (!v.every((item) => check(item))) {
            return false;
          }
        } else if (!check(v)) {
          return false;
        }
      }
    }
    return true;
  };
}
