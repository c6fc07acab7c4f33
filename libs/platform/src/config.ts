import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Statics an env class may declare: `PER_SERVICE` names settings that `SERVICE_PREFIX` + `_` +
 * name overrides (ServiceEnv: the database URLs; each app: its prefix, e.g. INGEST).
 */
export interface PerServiceSettings {
  SERVICE_PREFIX?: string;
  PER_SERVICE?: readonly string[];
}

/**
 * Validates the environment once, at boot, into a typed config object. The only place that
 * reads process.env. Every problem names its variable, and none echoes the value (it may be a
 * secret).
 */
export function loadConfig<T extends object>(
  schema: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  const known = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  // Settings a service may be given under a name of its own (INGEST_DATABASE_URL over
  // DATABASE_URL), so one environment can hold every service's database login.
  const { SERVICE_PREFIX: prefix, PER_SERVICE: perService = [] } = schema as PerServiceSettings;
  if (prefix) {
    for (const name of perService) {
      const own = known[`${prefix}_${name}`];
      if (own !== undefined) {
        known[name] = own;
      }
    }
  }
  const config = plainToInstance(schema, known, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(errors.flatMap(describe));
  }
  return config;
}

function describe(error: ValidationError): string[] {
  const prefix = `${error.property} `;
  const messages = [
    ...new Set(Object.values(error.constraints ?? {}).map((m) => (m.startsWith(prefix) ? m.slice(prefix.length) : m))),
  ];
  return messages.length > 0
    ? [`${error.property}: ${messages.join('; ')}`]
    : (error.children?.flatMap(describe) ?? []);
}
