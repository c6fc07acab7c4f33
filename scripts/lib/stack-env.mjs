// The stack's connection settings as the scripts read them. Each service logs in to PostgreSQL as
// roles of its own (`scripts/stack.sh env` exports <SERVICE>_DATABASE_URL and
// <SERVICE>_DATABASE_PLATFORM_URL); a database given from outside may use one shared pair
// (DATABASE_URL / DATABASE_PLATFORM_URL) instead.

export const SERVICES = ['tenant-store', 'ingest', 'consent', 'marketing-export'];

const prefix = (service) => service.toUpperCase().replace(/-/g, '_');

/** The service's application (or, with `platform`, platform) role's URL. */
export function serviceDatabaseUrl(service, { platform = false } = {}) {
  const name = platform ? 'DATABASE_PLATFORM_URL' : 'DATABASE_URL';
  return process.env[`${prefix(service)}_${name}`] || process.env[name];
}

/**
 * Throws, naming what is missing, unless the broker (with `kafka`), the owner's URL and every
 * service's two logins are set.
 */
export function requireStackEnv(script, { kafka = true, services = SERVICES } = {}) {
  const missing = [];
  if (kafka && !process.env.KAFKA_BROKERS) missing.push('KAFKA_BROKERS');
  if (!process.env.MIGRATION_DATABASE_URL) missing.push('MIGRATION_DATABASE_URL');
  for (const service of services) {
    for (const platform of [false, true]) {
      if (!serviceDatabaseUrl(service, { platform })) {
        missing.push(`${prefix(service)}_${platform ? 'DATABASE_PLATFORM_URL' : 'DATABASE_URL'}`);
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not set (run it with ${script}, which sets up the local stack)`);
  }
}

/** Names of every database URL variable (our own, to leave out of what the local stack's script gets). */
export const isDatabaseUrlName = (name) => /DATABASE(_PLATFORM)?_URL$/.test(name);
