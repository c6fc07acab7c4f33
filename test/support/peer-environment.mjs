// A second Custody environment for test/e2e/environments.e2e-spec.ts: tenant-store, ingest and the
// sandbox as built processes (scripts/lib/platform-processes.mjs), with topics of their own (under
// the KAFKA_TOPIC_PREFIX it is given) and the database it is given (DATABASE_URL /
// MIGRATION_DATABASE_URL: another database on the same server), whose migrations it applies first.
// Prints one JSON line with its URLs and credentials once ready; SIGTERM stops it and deletes its topics.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startProcesses } from '../../scripts/lib/platform-processes.mjs';

const root = new URL('../..', import.meta.url).pathname;
for (const app of ['tenant-store', 'consent', 'marketing-export', 'ingest']) {
  execFileSync(process.execPath, [join(root, 'apps', app, 'dist', 'migrate.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
// No simulated duplicates: the test counts each event once.
const procs = await startProcesses({
  apps: ['tenant-store', 'ingest', 'sandbox'],
  env: { NETWORK_DUPLICATE_PERCENT: '0' },
  consumerGroups: 7,
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await procs.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdout.write(
  `${JSON.stringify({
    tenantStore: procs.url('tenant-store'),
    ingest: procs.url('ingest'),
    sandbox: procs.url('sandbox'),
    topicPrefix: procs.topics.prefix,
    operator: { clientId: procs.env.OPERATOR_CLIENT_ID, clientSecret: procs.env.OPERATOR_CLIENT_SECRET },
  })}\n`,
);
