// The pole registry changed into garbage while the cloud runs: the last good one stays in force,
// and the failure is logged once with the file and reason.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { connectPole, startTestCloud } from './fixture.js';
import { waitFor } from '../helpers/wait.js';

t.test('a registry that turns unreadable after start keeps the last good one, and says so in the log', async (t) => {
  const tc = await startTestCloud(t);
  await writeFile(tc.registry, Buffer.from([0x00, 0xff, 0x00, 0x13]));
  const pole = await connectPole(t, tc, 'pole-a');
  t.ok(pole.connected, 'a registered pole still connects');
  await waitFor('the log line', () => tc.lines.some((l) => l.includes('pole registry unreadable; keeping the last good one')));
  const line = JSON.parse(tc.lines.find((l) => l.includes('pole registry unreadable'))!);
  t.match(line, { level: 50, file: './poles.yaml', err: /is not a text file \(a NUL byte at byte 0\)/ });
  await connectPole(t, tc, 'pole-b');
  t.equal(tc.lines.filter((l) => l.includes('pole registry unreadable')).length, 1, 'reported once, not on every connect');
});
