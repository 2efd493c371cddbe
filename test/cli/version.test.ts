import { readFile } from 'node:fs/promises';
import t from 'tap';
import { polegate, root } from '../helpers/polegate-cli.js';

t.test('polegate --version prints the package version, the one birth carries', async (t) => {
  const { version } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const run = await polegate([flag]);
    t.equal(run.code, 0, flag);
    t.equal(run.stdout, `${version}\n`, flag);
    t.equal(run.stderr, '', flag);
  }
});
