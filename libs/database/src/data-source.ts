import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

export interface DatabaseSettings {
  url: string;
  /** The service's own schema; no service reads another's. */
  schema: string;
  entities: MixedList<string | EntitySchema | (new () => unknown)>;
  migrations?: MixedList<string | (new () => unknown)>;
  poolSize?: number;
  applicationName?: string;
}

export function createDataSource(settings: DatabaseSettings): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    url: settings.url,
    schema: settings.schema,
    entities: settings.entities,
    migrations: settings.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      application_name: settings.applicationName ?? `custody-${settings.schema}`,
      options: `-c search_path=${settings.schema}`,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    },
  };
  return new DataSource(options);
}

/** Redacts the password of a connection URL, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
