// The last lines of `npm test`: what ran and what passed, read from the JSON results Jest wrote for
// each phase (scripts/run.sh test), ending in Jest's own summary format. Printed on standard output
// after the fuzzing and the fault suite and after the stack is stopped, so that the end of a long
// log says which suites ran and how many tests passed.
//
//   node scripts/lib/test-summary.mjs "<label>=<jest --json output file>" …
//   CUSTODY_TEST_EXTRA_PHASES: one line per phase that ran after Jest (fuzzing, fault suite)
//   CUSTODY_TEST_STARTED_AT: when `npm test` started (epoch seconds), for the Time line
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const [, , ...pairs] = process.argv; // label=path …
const totals = { suites: 0, suitesPassed: 0, tests: 0, testsPassed: 0, snapshots: 0 };
const phases = [];
const perSuite = [];
for (const pair of pairs) {
  const at = pair.indexOf('=');
  const label = pair.slice(0, at);
  const file = pair.slice(at + 1);
  if (!existsSync(file)) {
    phases.push(`  ${label}: not run`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  totals.suites += r.numTotalTestSuites;
  totals.suitesPassed += r.numPassedTestSuites;
  totals.tests += r.numTotalTests;
  totals.testsPassed += r.numPassedTests;
  totals.snapshots += r.snapshot?.total ?? 0;
  phases.push(
    `  ${label}: ${r.numPassedTestSuites} of ${r.numTotalTestSuites} suites, ${r.numPassedTests} of ${r.numTotalTests} tests passed`,
  );
  for (const suite of r.testResults ?? []) {
    const seconds = ((suite.endTime - suite.startTime) / 1000).toFixed(1);
    const tests = suite.assertionResults?.length ?? 0;
    perSuite.push(
      `${suite.status === 'passed' ? 'PASS' : 'FAIL'} ${relative(root, suite.name)} (${tests} test${tests === 1 ? '' : 's'}, ${seconds} s)`,
    );
  }
}
console.log('\ntest: results of every suite');
for (const line of perSuite) console.log(line);
console.log('\ntest: summary');
for (const line of phases) console.log(line);
for (const line of process.env.CUSTODY_TEST_EXTRA_PHASES?.split('\n').filter(Boolean) ?? []) {
  console.log(`  ${line}`);
}
const failedSuites = totals.suites - totals.suitesPassed;
const failed = totals.tests - totals.testsPassed;
const started = Number(process.env.CUSTODY_TEST_STARTED_AT);
console.log('');
console.log(
  `Test Suites: ${failedSuites > 0 ? `${failedSuites} failed, ` : ''}${totals.suitesPassed} passed, ${totals.suites} total`,
);
console.log(
  `Tests:       ${failed > 0 ? `${failed} failed, ` : ''}${totals.testsPassed} passed, ${totals.tests} total`,
);
console.log(`Snapshots:   ${totals.snapshots} total`);
if (Number.isFinite(started) && started > 0) {
  console.log(`Time:        ${(Date.now() / 1000 - started).toFixed(0)} s`);
}
console.log('Ran all test suites.');
