import { Client } from 'pg';

/**
 * Runs SQL as the owner role in a platform-scoped transaction (row-level security lets it see
 * every tenant): for test assertions and fixtures only, never for what a test proves the API does.
 */
export async function platformSql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('custody.platform', 'on', true)`);
    const result = await client.query(text, params);
    await client.query('COMMIT');
    return result.rows as T[];
  } finally {
    await client.end();
  }
}
