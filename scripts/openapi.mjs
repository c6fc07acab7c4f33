// Generates each app's OpenAPI document into docs/openapi/<app>.json from the built apps
// (so the Swagger CLI plugin's descriptions are in), or with --check fails when a committed
// document differs from what the code now produces.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProcesses } from './lib/platform-processes.mjs';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'docs', 'openapi');
const check = process.argv.includes('--check');
const apps = ['ingest', 'tenant-store', 'consent', 'marketing-export', 'sandbox'];

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

const procs = await startProcesses({ apps });
let drift = [];
try {
  mkdirSync(outDir, { recursive: true });
  for (const app of apps) {
    const doc = await (await fetch(`${procs.url(app)}/docs-json`)).json();
    const text = `${JSON.stringify(sortKeys(doc), null, 2)}\n`;
    const file = join(outDir, `${app}.json`);
    if (check) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) drift.push(app);
    } else {
      writeFileSync(file, text);
      console.log(`openapi: wrote docs/openapi/${app}.json (${Object.keys(doc.paths).length} paths)`);
    }
  }
} finally {
  await procs.stop();
}
if (drift.length > 0) {
  console.error(
    `openapi: docs/openapi is out of date for ${drift.join(', ')} — run \`npm run openapi\` and commit the result`,
  );
  process.exit(1);
}
if (check) console.log('openapi: docs/openapi matches the code');
