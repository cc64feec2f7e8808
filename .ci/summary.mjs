// The closing summary of a CI run: for each test step, how many tests passed and failed,
// read from the step's log, then the total on the last line, in the plain
// "N passed, N failed" form a log reader takes whatever the runner.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...steps] = process.argv.slice(2);
const count = (text, pattern) =>
  [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);

const linesLike = (text, pattern) =>
  text
    .split('\n')
    .filter((line) => pattern.test(line))
    .join('\n');

let passed = 0;
let failed = 0;
for (const step of steps) {
  const log = readFileSync(join(dir, `${step}.log`), 'utf8');
  // vitest: "      Tests  2 failed | 185 passed (187)";
  // Schemathesis (tagged by tools/dev/fuzz.sh): "[fuzz user]   1294 generated, 1294 passed, 12 skipped".
  const vitest = linesLike(log, /^\s+Tests\s{2}/);
  const cases = linesLike(log, /^(?:\[[^\]]*\])?\s*\d+ generated,/);
  const stepPassed = count(vitest, /(\d+) passed/g) + count(cases, /(\d+) passed/g);
  const stepFailed = count(vitest, /(\d+) failed/g) + count(cases, /(\d+) failed/g);
  if (stepPassed + stepFailed === 0) {
    console.error(`${step}: no test counted in ${join(dir, `${step}.log`)}`);
    process.exit(1);
  }
  console.log(`${step}: ${stepPassed} passed, ${stepFailed} failed`);
  passed += stepPassed;
  failed += stepFailed;
}
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
