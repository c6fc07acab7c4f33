import { Client } from 'pg';
import { DataSource, MixedList } from 'typeorm';
import { createDataSource, describeUrl } from './data-source';
import { platformRlsSql } from './rls';

export interface MigrationSettings {
  /** The owner role's URL (MIGRATION_DATABASE_URL): it owns the schema and its tables. */
  url: string;
  schema: string;
  /** The application role that gets DML rights but owns nothing (DATABASE_APP_ROLE). */
  appRole: string;
  /**
   * The platform role (DATABASE_PLATFORM_ROLE): the login of the service's cross-tenant pool
   * (DATABASE_PLATFORM_URL). It gets the same DML rights, and a policy that admits every row.
   */
  platformRole: string;
  migrations: MixedList<string | (new () => unknown)>;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the service's schema, applies its migrations, and grants the app role what it needs. */
export async function runMigrations(settings: MigrationSettings): Promise<string[]> {
  if (!IDENT.test(settings.schema) || !IDENT.test(settings.appRole) || !IDENT.test(settings.platformRole)) {
    throw new Error('schema, app role and platform role must be plain lowercase identifiers');
  }
  if (settings.appRole === settings.platformRole) {
    throw new Error('the app role and the platform role must differ (the platform role sees every tenant)');
  }
  const client = new Client({ connectionString: settings.url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${describeUrl(settings.url)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${settings.schema}`);
    for (const role of [settings.appRole, settings.platformRole]) {
      await client.query(`GRANT USAGE ON SCHEMA ${settings.schema} TO ${role}`);
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
      );
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${settings.schema} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`,
      );
    }
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
    // Tables created before the platform role existed: grant it what the defaults now grant, and
    // rewrite their policies (drops the old `custody.platform` escape). Idempotent.
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${settings.schema} TO ${settings.platformRole}`,
      );
      await manager.query(
        `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${settings.schema} TO ${settings.platformRole}`,
      );
      await manager.query(platformRlsSql(settings.schema, settings.platformRole));
    });
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
  runMigrations({
    url,
    schema,
    appRole: process.env.DATABASE_APP_ROLE ?? 'custody_app',
    platformRole: process.env.DATABASE_PLATFORM_ROLE ?? 'custody_platform',
    migrations,
  }).then(
    (applied) => console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`),
    (error: unknown) => {
      console.error(`${service} migrate: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
