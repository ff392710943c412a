// Prints vitest's JSON report as the one line CI reads, last and plain: "N passed, N failed" (skipped tests on a line before it).
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`no test report at ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// A file that failed outside its tests (it did not load, or a beforeAll threw and vitest marked its tests
// skipped) counts as one failure: otherwise such a run would read "0 failed".
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const skippedNames = (report.testResults ?? []).flatMap((f) =>
  (f.assertionResults ?? [])
    .filter((a) => a.status === 'pending' || a.status === 'skipped')
    .map((a) => a.fullName),
);
if (skipped > 0)
  console.log(
    `${skipped} skipped (the machine lacks what they need; each says why above): ${skippedNames.join('; ')}`,
  );
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
