// The service units in deploy/ pass `systemd-analyze verify` with nothing on stderr: it exits 0
// on many mistakes (an unknown key, a key in the wrong section) and only says so there.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { missingService } from '../helpers/services.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = ['polegate-edge.service', 'polegate-cloud.service'];

/** What systemd-analyze says of a unit, with ExecStart pointed at this checkout's bin/polegate. */
async function verify(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'polegate-units-'));
  try {
    await writeFile(join(dir, name), text.replaceAll('/usr/bin/polegate', join(ROOT, 'bin/polegate')));
    const { stderr } = await run('systemd-analyze', ['verify', join(dir, name)]).catch((err: { stderr: string }) => ({ stderr: err.stderr || String(err) }));
    return stderr.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function key(unit: string, name: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${name}=`)).map((l) => l.slice(name.length + 1));
}

const skip = await missingService('systemd-analyze');

t.test('systemd units', { skip }, async (t) => {
  for (const name of UNITS) {
    t.test(name, async (t) => {
      const text = await readFile(join(ROOT, 'deploy', name), 'utf8');
      t.equal(await verify(name, text), '', 'systemd-analyze verify prints nothing');
      t.same(key(text, 'Restart'), ['always']);
      t.same(key(text, 'KillSignal'), ['SIGTERM'], 'the graceful stop the agent and cloud implement');
      t.ok(key(text, 'StateDirectory').length === 1, 'a state folder of its own');
      t.same(key(text, 'NoNewPrivileges'), ['yes']);
      t.same(key(text, 'ProtectSystem'), ['strict'], 'only the state folder is writable');
    });
  }

  t.test('the check sees what systemd ignores', async (t) => {
    const text = await readFile(join(ROOT, 'deploy', UNITS[0]!), 'utf8');
    const broken = text.replace('[Service]\n', '[Service]\nNoSuchKey=1\n');
    t.match(await verify(UNITS[0]!, broken), /Unknown key 'NoSuchKey'/);
  });

  t.test('the example manifest keeps its outbox in the edge unit\'s state folder', async (t) => {
    const unit = await readFile(join(ROOT, 'deploy/polegate-edge.service'), 'utf8');
    const manifest = parse(await readFile(join(ROOT, 'config/examples/pole.yaml'), 'utf8')) as { buffer: { path: string } };
    t.same(key(unit, 'ExecStart'), ['/usr/bin/polegate edge --config /etc/polegate/pole.yaml']);
    t.ok(manifest.buffer.path.startsWith(`/var/lib/${key(unit, 'StateDirectory')[0]}/`), `${manifest.buffer.path} is under StateDirectory (ProtectSystem=strict makes the rest read-only)`);
  });
});
