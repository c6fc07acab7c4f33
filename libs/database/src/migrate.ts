import { Client } from 'pg';
import { DataSource, MixedList } from 'typeorm';
import { createDataSource, describeUrl } from './data-source';

export interface MigrationSettings {
  /** The owner role's URL (MIGRATION_DATABASE_URL): it owns the schema and its tables. */
  url: string;
  schema: string;
  /** The application role that gets DML rights but owns nothing (DATABASE_APP_ROLE). */
  appRole: string;
  migrations: MixedList<string | (new () => unknown)>;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the service's schema, applies its migrations, and grants the app role what it needs. */
export async function runMigrations(settings: MigrationSettings): Promise<string[]> {
  if (!IDENT.test(settings.schema) || !IDENT.test(settings.appRole)) {
    throw new Error('schema and app role must be plain lowercase identifiers');
  }
  const client = new Client({ connectionString: settings.url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${describeUrl(settings.url)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${settings.schema}`);
    await client.query(`GRANT USAGE ON SCHEMA ${settings.schema} TO ${settings.appRole}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${settings.appRole}`,
    );
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT USAGE, SELECT ON SEQUENCES TO ${settings.appRole}`,
    );
  } finally {
    await client.end();
  }
  const dataSource: DataSource = createDataSource({
    url: settings.url,
    schema: settings.schema,
    entities: [],
    migrations: settings.migrations,
    poolSize: 1,
    applicationName: `custody-migrate-${settings.schema}`,
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** The body of every app's `migrate.js` entry point. */
export function migrationCli(service: string, schema: string, migrations: MigrationSettings['migrations']): void {
  const url = process.env.MIGRATION_DATABASE_URL;
  if (!url) {
    console.error(`${service} migrate: MIGRATION_DATABASE_URL is required (the owner role, not the application role)`);
    process.exit(1);
  }
  runMigrations({ url, schema, appRole: process.env.DATABASE_APP_ROLE ?? 'custody_app', migrations }).then(
    (applied) => console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`),
    (error: unknown) => {
      console.error(`${service} migrate: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
