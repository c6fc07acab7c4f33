// The last lines of `npm test`: what ran and what passed, in Jest's own summary format, read from
// the JSON results Jest wrote for each phase (scripts/run.sh test). Printed on standard output
// after the fuzzing and the fault suite, so the end of a long log says how many tests ran.
import { existsSync, readFileSync } from 'node:fs';

const [, , ...pairs] = process.argv; // label=path …
let suites = 0;
let suitesPassed = 0;
let tests = 0;
let testsPassed = 0;
console.log('test: summary');
for (const pair of pairs) {
  const at = pair.indexOf('=');
  const label = pair.slice(0, at);
  const file = pair.slice(at + 1);
  if (!existsSync(file)) {
    console.log(`  ${label}: not run`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  suites += r.numTotalTestSuites;
  suitesPassed += r.numPassedTestSuites;
  tests += r.numTotalTests;
  testsPassed += r.numPassedTests;
  console.log(
    `  ${label}: ${r.numPassedTestSuites} of ${r.numTotalTestSuites} suites, ${r.numPassedTests} of ${r.numTotalTests} tests passed`,
  );
}
for (const line of process.env.CUSTODY_TEST_EXTRA_PHASES?.split('\n').filter(Boolean) ?? []) {
  console.log(`  ${line}`);
}
const failed = tests - testsPassed;
console.log(`Test Suites: ${suitesPassed} passed, ${suites} total`);
console.log(`Tests:       ${failed > 0 ? `${failed} failed, ` : ''}${testsPassed} passed, ${tests} total`);
