/**
 * The apps' environment, read from their config classes' TypeScript source (apps/<app>/src/config/
 * <app>.env.ts and the shared classes in libs/platform/src/env.ts) with a few regular expressions,
 * so the chart tests need no build and no import of the apps.
 *
 * It relies on the classes' plain style: `export class X extends Y {` ... a line `}`; one decorator
 * per line (`@IsOptional()`), then one property per line (`NAME = default;`, `NAME: type;`,
 * `NAME?: type;`). A property is required when it has no default, no `?` and no optional decorator,
 * which is what loadConfig (libs/platform/src/config.ts) enforces at boot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Decorators that make a property optional: IsOptional itself, and EnvBoolean which applies it (libs/platform/src/config-decorators.ts). */
const OPTIONAL_DECORATORS = new Set(['IsOptional', 'EnvBoolean']);

export interface EnvVarDecl {
  name: string;
  required: boolean;
  /** `[min, max]` of an `@EnvInt(min, max)` property. */
  intRange?: [number, number];
  /** The class that declares it. */
  declaredIn: string;
}

export interface EnvClassDecl {
  name: string;
  parent?: string;
  vars: EnvVarDecl[];
}

/** `7 * 86400` and the like: digits, spaces, `*` and `+` only. */
function evalNumber(expression: string): number {
  const text = expression.trim();
  if (!/^[\d\s*+]+$/.test(text)) {
    throw new Error(`cannot evaluate ${JSON.stringify(text)} (only integer products and sums)`);
  }
  return text
    .split('+')
    .map((term) => term.split('*').reduce((product, factor) => product * Number(factor.trim()), 1))
    .reduce((sum, term) => sum + term, 0);
}

export function parseEnvClasses(source: string): EnvClassDecl[] {
  // Whole-line comments only (JSDoc blocks and `//` lines): decorator arguments hold regular expressions.
  const text = source.replace(/^[ \t]*\/\*[\s\S]*?\*\/[ \t]*$/gm, '').replace(/^[ \t]*\/\/.*$/gm, '');
  const classes: EnvClassDecl[] = [];
  for (const match of text.matchAll(/^export class (\w+)(?:\s+extends\s+(\w+))?\s*\{\n([\s\S]*?)^\}/gm)) {
    const [, name, parent, body] = match;
    const vars: EnvVarDecl[] = [];
    let decorators: string[] = [];
    for (const line of body.split('\n').map((l) => l.trim())) {
      const decorator = /^@(\w+)\((.*)\)$/.exec(line);
      if (decorator) {
        decorators.push(line);
        continue;
      }
      const property = /^([A-Z][A-Z0-9_]*)(\?)?\s*(?::[^=;]*)?(=[^;]*)?;$/.exec(line);
      if (!property) {
        continue;
      }
      const [, varName, optionalMark, initializer] = property;
      const names = decorators.map((d) => /^@(\w+)/.exec(d)![1]);
      const envInt = decorators.map((d) => /^@EnvInt\(([^,]+),([^)]+)\)$/.exec(d)).find(Boolean);
      vars.push({
        name: varName,
        required: !optionalMark && !initializer && !names.some((n) => OPTIONAL_DECORATORS.has(n)),
        intRange: envInt ? [evalNumber(envInt[1]), evalNumber(envInt[2])] : undefined,
        declaredIn: name,
      });
      decorators = [];
    }
    classes.push({ name, parent, vars });
  }
  return classes;
}

/** Every variable of the app's config class, its ancestors' first. */
export function appEnv(root: string, app: string): { className: string; vars: EnvVarDecl[] } {
  const shared = parseEnvClasses(readFileSync(join(root, 'libs/platform/src/env.ts'), 'utf8'));
  const own = parseEnvClasses(readFileSync(join(root, `apps/${app}/src/config/${app}.env.ts`), 'utf8'));
  if (own.length !== 1) {
    throw new Error(`apps/${app}/src/config/${app}.env.ts: expected one exported config class, found ${own.length}`);
  }
  const byName = new Map([...shared, ...own].map((c) => [c.name, c]));
  const chain: EnvClassDecl[] = [];
  for (let c: EnvClassDecl | undefined = own[0]; c;) {
    chain.unshift(c);
    if (!c.parent) {
      break;
    }
    const parent = byName.get(c.parent);
    if (!parent) {
      throw new Error(
        `${c.name} extends ${c.parent}, which is neither in libs/platform/src/env.ts nor in the app's file`,
      );
    }
    c = parent;
  }
  return { className: own[0].name, vars: chain.flatMap((c) => c.vars) };
}

/** The `process.env.X` / `env.X` names a CLI source file reads. */
export function envReadBy(source: string): string[] {
  return [...new Set([...source.matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]))];
}
