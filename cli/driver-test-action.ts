// What `polegate driver test` runs (cli/driver-test.ts registers the command): the kit, one line per
// check as it ends, a summary, exit 0 when every check passed (or was skipped), 1 otherwise, even
// when the driver under test left something running.
import { runKit, type CheckResult } from './driver-kit.js';
import type { DriverTestOptions } from './driver-test.js';

const MARK: Record<CheckResult['outcome'], string> = { pass: 'pass', fail: 'FAIL', skip: 'skip' };

export async function driverTest(driver: string, opts: DriverTestOptions): Promise<void> {
  process.stdout.write(`polegate driver test ${driver}${opts.sim ? ` --sim "${opts.sim}"` : ''}${opts.options ? ` --options ${opts.options}` : ''}\n`);
  const results = await runKit({ driver, sim: opts.sim, optionsFile: opts.options, cwd: process.cwd() }, (r) =>
    process.stdout.write(`  ${MARK[r.outcome]}  ${r.check.padEnd(17)} ${r.reason}\n`));
  const count = (outcome: CheckResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const failed = count('fail');
  const summary = `${results.length} checks: ${count('pass')} passed, ${failed} failed, ${count('skip')} skipped\n`;
  // A driver that fails the close check still holds handles: the kit ends the process itself.
  await new Promise<void>((resolve) => process.stdout.write(summary, () => resolve()));
  process.exit(failed > 0 ? 1 : 0);
}
