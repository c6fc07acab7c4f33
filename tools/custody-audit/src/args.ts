export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  command: string;
  options: Map<string, string[]>;
  flags: Set<string>;
}

const FLAGS = new Set(['json', 'no-progress', 'help']);

/** `command --name value --name value --flag`; repeated options collect in order. */
export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
    const name = arg.slice(2);
    if (FLAGS.has(name)) {
      flags.add(name);
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || (value.startsWith('--') && value !== '-')) {
      throw new UsageError(`--${name} needs a value`);
    }
    options.set(name, [...(options.get(name) ?? []), value]);
    i += 1;
  }
  return { command, options, flags };
}

export function one(args: ParsedArgs, name: string): string {
  const values = args.options.get(name);
  if (!values || values.length === 0) {
    throw new UsageError(`--${name} is required`);
  }
  if (values.length > 1) {
    throw new UsageError(`--${name} may be given once`);
  }
  return values[0];
}

export function many(args: ParsedArgs, name: string, required = true): string[] {
  const values = args.options.get(name) ?? [];
  if (required && values.length === 0) {
    throw new UsageError(`--${name} is required`);
  }
  return values;
}

export function optional(args: ParsedArgs, name: string): string | undefined {
  return args.options.has(name) ? one(args, name) : undefined;
}
