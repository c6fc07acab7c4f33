// Integration and end-to-end tests talk to the real Kafka broker and PostgreSQL that `npm test`
// starts (or those named by KAFKA_BROKERS / DATABASE_URL). Fail fast with a clear message.
// Each service has database logins of its own (<SERVICE>_DATABASE_URL, as `scripts/stack.sh env`
// exports them), or all share DATABASE_URL / DATABASE_PLATFORM_URL.
const SERVICES = ['TENANT_STORE', 'INGEST', 'CONSENT', 'MARKETING_EXPORT'];
const missing = ['KAFKA_BROKERS', 'MIGRATION_DATABASE_URL'].filter((name) => !process.env[name]);
for (const url of ['DATABASE_URL', 'DATABASE_PLATFORM_URL']) {
  if (!process.env[url] && SERVICES.some((s) => !process.env[`${s}_${url}`])) {
    missing.push(`${url} (or ${SERVICES.map((s) => `${s}_${url}`).join(', ')})`);
  }
}
if (missing.length > 0) {
  throw new Error(
    `${missing.join(', ')} not set: run the suites with "npm test" (it starts Kafka and PostgreSQL), or export the stack's variables (bash scripts/stack.sh env --test)`,
  );
}
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
// Every test runs from one address and fetches many tokens: the token endpoint's limit is tested
// on its own (test/e2e/rate-limits.e2e-spec.ts); the per-tenant API limit keeps its default.
process.env.RATE_LIMIT_TOKEN_PER_MINUTE ??= '1000000';
jest.setTimeout(60_000);
