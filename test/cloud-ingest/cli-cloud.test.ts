import t from 'tap';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { startCloud } from '../../cloud-ingest/cloud.js';
import { freePort } from '../helpers/mosquitto.js';
import { startTestCloud, connect, getJson } from './fixture.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'polegate.ts');

function polegate(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; child: ReturnType<typeof spawn>; stdout: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, child, stdout: () => stdout };
}

t.test('add-pole prints the secret once, and that pole then connects to the running cloud', async (t) => {
  const tc = await startTestCloud(t);
  const { code, stdout } = await polegate(['cloud', 'add-pole', 'pole-cli', '--registry', tc.registry]).done;
  t.equal(code, 0);
  const secret = /Secret .*: (\S+)/.exec(stdout)?.[1];
  t.ok(secret, stdout);
  t.match(stdout, /username: pole-cli/);
  const client = await connect(t, tc.url, { clientId: 'pole-cli', username: 'pole-cli', password: secret });
  t.ok(client.connected);
  const again = await polegate(['cloud', 'add-pole', 'pole-cli', '--registry', tc.registry]).done;
  t.equal(again.code, 2);
  t.match(again.stderr, /^polegate: pole pole-cli is already in .*poles.yaml/);
  const bad = await polegate(['cloud', 'add-pole', 'Bad_Id', '--registry', tc.registry]).done;
  t.equal(bad.code, 2);
  t.match(bad.stderr, /"Bad_Id" is not a valid pole id/);
});

t.test('polegate cloud runs from a config, serves, and stops on SIGTERM; add-user keeps the YAML', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  writeFileSync(config, '# the city cloud\ntopicRoot: city/v1\nmqtt: { host: 127.0.0.1, port: 0 }\nhttp: { host: 127.0.0.1, port: 0 }\nstore: { kind: sqlite, path: ./data/city.db }\npoles: ./poles.yaml\n');
  const added = await polegate(['cloud', 'add-user', 'ops', '--role', 'read', '--config', config]).done;
  t.equal(added.code, 0, added.stderr);
  const password = /Password .*: (\S+)/.exec(added.stdout)![1]!;
  const badRole = await polegate(['cloud', 'add-user', 'x', '--role', 'admin', '--config', config]).done;
  t.equal(badRole.code, 2);
  t.match(badRole.stderr, /role must be read or operate/);

  const run = polegate(['cloud', '--config', config]);
  const line = await waitFor('the running line', () => run.stdout().split('\n').find((l) => l.includes('cloud ingest running')), 20_000);
  const ports = JSON.parse(line).ports as { http: number; mqtt: number };
  t.equal((await getJson(`http://127.0.0.1:${ports.http}/api/poles`)).status, 401);
  t.same((await getJson(`http://127.0.0.1:${ports.http}/api/poles`, `ops:${password}`)).body, { poles: [], next: null });
  run.child.kill('SIGTERM');
  t.equal((await run.done).code, 0);
  t.notOk(run.stdout().includes(password), 'password not logged');

  const missing = await polegate(['cloud']).done;
  t.equal(missing.code, 2);
  t.match(missing.stderr, /needs --config/);
});

t.test('a port in use is one clear line naming the key and what to do', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const dir = t.testdir();
  const config = { mqtt: { host: '127.0.0.1', port }, http: { host: '127.0.0.1', port: 0 }, store: { kind: 'sqlite' as const, path: 'city.db' }, poles: 'poles.yaml' };
  await t.rejects(startCloud({ config, dir, log: pino({ level: 'silent' }), configFile: 'cloud.yaml' }), {
    name: 'PolegateError',
    code: 'PORT_IN_USE',
    exitCode: 1,
    message: `cannot listen on 127.0.0.1:${port} (mqtt.port in cloud.yaml): address already in use — stop the other broker or choose another port`,
  });
  // Everything opened before the failure was closed again: the same config starts once the port is free.
  blocker.close();
  await nextEvent(blocker, 'close');
  const cloud = await startCloud({ config, dir, log: pino({ level: 'silent' }) });
  t.equal(cloud.ports.mqtt, port);
  await cloud.close();
});

t.test('HTTP API: Basic auth when users exist, JSON 400/404/405 with a message', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  t.same((await getJson(`${tc.http}/health`)).body, { status: 'ok' });
  t.equal((await getJson(`${tc.http}/api/poles`, 'viewer:wrong')).status, 401);
  const missing = await getJson(`${tc.http}/api/series?pole=p&device=d`, auth);
  t.same(missing, { status: 400, body: { error: 'query parameter metric is required' } });
  t.equal((await getJson(`${tc.http}/api/series?pole=p&device=d&metric=m&from=yesterday`, auth)).status, 400);
  t.match(await getJson(`${tc.http}/api/series?pole=p&device=d&metric=m`, auth), { status: 404, body: { error: /no metric d.m on pole p/ } });
  t.match(await getJson(`${tc.http}/api/poles/nope`, auth), { status: 404, body: { error: /no pole nope/ } });
  t.match(await getJson(`${tc.http}/nothing`, auth), { status: 404 });
  t.match(await getJson(`${tc.http}/api/blobs/${'0'.repeat(64)}`, auth), { status: 404 });
  const post = await fetch(`${tc.http}/api/poles`, { method: 'POST' });
  t.equal(post.status, 405);
});

t.test('HTTP API is open when no users are configured, and the cloud says so', async (t) => {
  const tc = await startTestCloud(t, { users: [] });
  t.equal((await getJson(`${tc.http}/api/poles`)).status, 200);
  t.ok(tc.lines.some((l) => l.includes('no platform users')));
});

t.test('an unreachable PostgreSQL store stops polegate cloud with one line naming host:port, not the password', async (t) => {
  const port = await freePort();
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  writeFileSync(config, `mqtt: { host: 127.0.0.1, port: 0 }\nhttp: { host: 127.0.0.1, port: 0 }\nstore: { kind: postgres, url: "postgres://city:s3cret-pw@127.0.0.1:${port}/city" }\npoles: ./poles.yaml\n`);
  const { code, stdout, stderr } = await polegate(['cloud', '--config', config]).done;
  t.equal(code, 1);
  t.match(stderr, new RegExp(`^polegate: cannot use the PostgreSQL store at 127\\.0\\.0\\.1:${port} \\(store\\.url in cloud\\.yaml\\): .*ECONNREFUSED.* — check that PostgreSQL runs there and accepts this user and database\\n$`));
  t.notMatch(stderr + stdout, /s3cret-pw/);
});
