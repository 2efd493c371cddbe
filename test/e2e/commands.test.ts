// Commands end to end: the HTTP API → the cloud → the broker → a real `polegate edge` child
// process polling Modbus simulators → cmd/result → the store → GET /api/commands/:id. Then the
// pole is killed, commands are posted while it is offline (one that expires before it returns),
// and the pole reconnects: the held one runs, the expired one never reaches it.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';
import { getJson, startTestCloud } from '../cloud-ingest/fixture.js';
import { POLE, sims, writeManifest } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli/polegate.js', import.meta.url));

t.test('commands through the API and the broker to a real agent, held while it is offline', async (t) => {
  const tc = await startTestCloud(t, { poles: [POLE] });
  const { gas, pressure } = await sims(t);
  const manifest = writeManifest(tc.dir, { mqttPort: tc.cloud.ports.mqtt!, gasPort: gas.port, pressurePort: pressure.port });
  const viewer = `viewer:${tc.users.viewer}`;
  const operator = `operator:${tc.users.operator}`;

  let output = '';
  const startEdge = () => {
    const edge = spawn(process.execPath, [cli, 'edge', '--config', manifest], { cwd: tc.dir, env: { ...process.env, POLE_SECRET: tc.secrets[POLE], LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    edge.stdout.on('data', (d) => (output += d));
    edge.stderr.on('data', (d) => (output += d));
    const exited = new Promise<void>((resolve) => edge.once('exit', () => resolve()));
    t.teardown(() => edge.kill('SIGKILL'));
    return { kill: () => (edge.kill('SIGKILL'), exited) };
  };
  const presence = (state: string) => waitFor(`pole ${state}`, async () => (await getJson(`${tc.http}/api/poles/${POLE}`, viewer)).body.state === state, 20_000)
    .catch((err: Error) => { throw new Error(`${err.message}\nedge output:\n${output}`); });
  const post = async (body: unknown, auth = operator, pole = POLE) => {
    const res = await fetch(`${tc.http}/api/poles/${pole}/commands`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() as any };
  };
  const command = async (id: string) => (await getJson(`${tc.http}/api/commands/${id}`, viewer)).body;
  const answered = (id: string) => waitFor(`command ${id} answered`, async () => {
    const c = await command(id);
    return c.status !== 'pending' && c;
  }, 15_000);
  const run = async (name: string, args: Record<string, unknown>) => {
    const sent = await post({ name, args });
    t.equal(sent.status, 202, `${name} accepted`);
    return answered(sent.body.id);
  };

  let edge = startEdge();
  await presence('online');

  const poll = await run('poll', { device: 'gas-1' });
  t.equal(poll.status, 'ok');
  t.match(poll, { pole: POLE, name: 'poll', args: { device: 'gas-1' }, result: { v: 1, id: poll.id, ok: true } });
  t.ok(poll.result.result.readings.some((r: any) => r.device === 'gas-1' && r.metric === 'lel'), 'the poll result holds gas-1 readings');
  t.ok(poll.expiresAt > poll.createdAt);

  const write = await run('write', { device: 'gas-1', metric: 'alarm-setpoint', value: 25.5 });
  t.equal(write.status, 'ok');
  t.equal(gas.value('alarm-setpoint'), 25.5, 'the device register changed');

  const interval = await run('set-interval', { device: 'pressure-1', pollMs: 1000 });
  t.same([interval.status, interval.result.result], ['ok', { device: 'pressure-1', pollMs: 1000 }]);

  const unknown = await run('dance', {});
  t.same([unknown.status, unknown.result.error.code], ['error', 'UNSUPPORTED'], 'an unknown name is the pole\'s error');

  t.equal((await post({ name: 'poll' }, viewer)).status, 403, 'a read user may not command');
  t.equal((await post({ name: 'poll' }, operator, 'no-such-pole')).status, 404);
  t.match(await post({ name: '', args: {} }), { status: 400, body: { error: /name/ } });
  t.match(await post({ name: 'poll', expiresInMs: 0 }), { status: 400, body: { error: /expiresInMs/ } });

  const list = (await getJson(`${tc.http}/api/poles/${POLE}/commands?limit=3`, viewer)).body;
  t.same(list.commands.map((c: any) => c.id), [unknown.id, interval.id, write.id], 'the pole\'s commands, newest first');
  t.type(list.next, 'string');

  await edge.kill();
  await presence('offline');
  const held = await post({ name: 'poll', args: { device: 'pressure-1' } });
  const expiring = await post({ name: 'write', args: { device: 'gas-1', metric: 'alarm-setpoint', value: 50 }, expiresInMs: 1 });
  t.equal((await command(held.body.id)).status, 'pending', 'held while the pole is offline');
  await waitFor('the short-lived command expired', async () => (await command(expiring.body.id)).status === 'expired');

  edge = startEdge();
  const done = await answered(held.body.id);
  t.equal(done.status, 'ok', 'the held command ran when the pole came back');
  t.ok(done.result.result.readings.some((r: any) => r.device === 'pressure-1'));
  const expired = await command(expiring.body.id);
  t.equal(expired.status, 'expired');
  t.notOk('result' in expired, 'the expired command was never answered: it was not sent');
  t.equal(gas.value('alarm-setpoint'), 25.5, 'and never run');
  await edge.kill();
});
