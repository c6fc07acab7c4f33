#!/usr/bin/env node
// Entry point for `npx custody-audit` (see tools/custody-audit/src/main.ts and docs/auditors.md).
'use strict';
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'main.js');
try {
  require.resolve(main);
} catch {
  process.stderr.write(
    'custody-audit is not built yet: run `npm run build` (or `npx turbo run build --filter=@custody/custody-audit`) in the repository first\n',
  );
  process.exit(2);
}
require(main)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
