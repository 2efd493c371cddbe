// Commands that change a running pole, end to end: a real `polegate edge` process (dist/) polling two
// Modbus simulators, publishing to a private Mosquitto; the test is the platform (cmd → cmd/result)
// and records everything the pole publishes. apply-config good, refused by validation and rolled back
// at run time; restart-device; set-log-level; a SIGKILL mid-alarm. Through all of it the outbox
// keeps every reading: each seq of the stream is published or still pending at the end.
import t from 'tap';
import { appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatIssue } from '../../config/errors.js';
import { loadManifest } from '../../config/load-manifest.js';
import type { CommandResultPayload } from '../../contract/schemas.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { record, type Recorder } from '../helpers/mqtt-recorder.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { proc, readOutbox } from './fault-procs.js';
import { POLE, sims, writeManifest } from './helpers.js';

t.setTimeout(120_000);
const skip = await missingService('mosquitto-binary');
const RULE = '  - { id: gas-high, metric: gas-1.lel, above: 20, clearBelow: 15, severity: critical }';

let ids = 0;
async function command(rec: Recorder, name: string, args: Record<string, unknown>, timeoutMs = 20_000): Promise<CommandResultPayload> {
  const id = `ac-${++ids}`;
  await rec.client.publishAsync(`city/v1/${POLE}/cmd`, JSON.stringify({ v: 1, id, name, args }), { qos: 1 });
  return waitFor(`the result of ${name} (${id})`, () => rec.of('cmd/result').find((m) => m.payload.id === id)?.payload as CommandResultPayload | undefined, timeoutMs);
}

const configApplied = (rec: Recorder) => rec.of('event').filter((m) => m.payload.event.type === 'config-applied').map((m) => m.payload.event);
const births = (rec: Recorder) => rec.of('birth').map((m) => m.payload);

t.test('apply-config, restart-device, set-log-level and a restart mid-alarm on a real pole process', { skip }, async (t) => {
  const dir = realpathSync(t.testdir());
  const broker = await startMosquitto(dir);
  t.teardown(() => broker.stop());
  const rec = await record(broker.url, 'city/v1');
  t.teardown(() => rec.close());
  const devices = await sims(t);
  const ports = { mqttPort: broker.port, gasPort: devices.gas.port, pressurePort: devices.pressure.port };
  const manifest = writeManifest(dir, { ...ports, pollMs: 100, extra: `rules:\n${RULE}\n` });
  const edge = proc(['edge', '--config', manifest], { POLE_SECRET: 'unused-by-this-broker' }, 'edge agent starting');
  t.teardown(() => edge.stop('SIGKILL'));
  await edge.start();
  await waitFor('telemetry from both devices', () => new Set(rec.of('telemetry').flatMap((m) => m.payload.readings.map((r: { device: string }) => r.device))).size === 2);
  const stream = rec.of('telemetry')[0]!.payload.stream as string;

  await t.test('a valid manifest is applied: new birth with its hash, a config-applied event', async (t) => {
    mkdirSync(join(dir, 'next'));
    const text = readFileSync(writeManifest(join(dir, 'next'), { ...ports, pollMs: 150, extra: `rules:\n${RULE}\n` }), 'utf8').replace('./outbox.db', join(dir, 'outbox.db'));
    const result = await command(rec, 'apply-config', { manifest: text, timeoutMs: 10_000 });
    t.match(result, { ok: true, result: { outcome: 'applied', devices: ['gas-1', 'pressure-1'] } });
    const { configHash } = result.result as { configHash: string };
    await waitFor('a birth with the new hash', () => births(rec).some((b) => b.configHash === configHash));
    await waitFor('config-applied', () => configApplied(rec).find((e) => e.outcome === 'applied' && e.configHash === configHash));
  });

  await t.test('an invalid manifest is refused with the errors of the loader polegate validate uses; nothing changes', async (t) => {
    const bad = readFileSync(manifest, 'utf8').replace('metric: gas-1.lel', 'metric: gas-1.nope').replace('./outbox.db', join(dir, 'outbox.db'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, bad);
    const refused = await loadManifest(file, { env: { POLE_SECRET: 'x' } }).then(() => undefined, (err: unknown) => err);
    t.type(refused, ConfigError);
    const issue = formatIssue((refused as ConfigError).issues[0]!);
    const births0 = births(rec).length;
    const result = await command(rec, 'apply-config', { manifest: bad });
    t.equal(result.ok, false);
    t.equal(result.error?.code, 'CONFIG_REFUSED');
    // The same line and column, message and YAML path; only the file's name differs.
    t.ok(result.error?.message.includes(`apply-config.yaml${issue.slice(file.length)}`), `${result.error?.message} has ${issue}`);
    await waitFor('config-applied refused', () => configApplied(rec).find((e) => e.outcome === 'refused'));
    t.equal(births(rec).length, births0, 'the agent was not restarted');
  });

  await t.test('a manifest whose device never answers is rolled back after its timeout', async (t) => {
    const good = births(rec).at(-1)!.configHash;
    const dead = readFileSync(manifest, 'utf8').replace('./outbox.db', join(dir, 'outbox.db'))
      .replace('devices:\n', 'devices:\n  - { id: dead-1, driver: modbus, host: 127.0.0.1, port: 9, unitId: 1, profile: gas-detector, pollMs: 100 }\n');
    const result = await command(rec, 'apply-config', { manifest: dead, timeoutMs: 2000 });
    t.equal(result.error?.code, 'CONFIG_ROLLED_BACK');
    t.match(result.error?.message, /^device dead-1 brought no reading within 2000 ms; rolled back/);
    await waitFor('config-applied rolled-back', () => configApplied(rec).find((e) => e.outcome === 'rolled-back' && e.down[0] === 'dead-1'));
    await waitFor('a birth of the last good manifest again', () => births(rec).at(-1)!.configHash === good && births(rec).at(-1)!.devices.length === 2);
  });

  await t.test('restart-device answers with a fresh poll while the other device keeps publishing', async (t) => {
    devices.gas.set('ch4', 777);
    const result = await command(rec, 'restart-device', { device: 'gas-1' });
    t.equal(result.ok, true);
    t.match((result.result as { readings: Array<{ metric: string; value: unknown }> }).readings.find((r) => r.metric === 'ch4'), { value: 777 });
    const from = rec.of('telemetry').length;
    await waitFor('both devices after the restart', () => new Set(rec.of('telemetry').slice(from).flatMap((m) => m.payload.readings.map((r: { device: string }) => r.device))).size === 2);
  });

  await t.test('set-log-level debug shows debug lines; back to info', async (t) => {
    t.notOk(edge.output.includes('"level":20'), 'no debug lines at info');
    const result = await command(rec, 'set-log-level', { level: 'debug', forMs: 60_000 });
    t.match(result.result, { level: 'debug', was: 'info' });
    await command(rec, 'poll', { device: 'gas-1' });
    await waitFor('a debug line', () => /"level":20,[^\n]*"msg":"cmd received"/.test(edge.output));
    t.match((await command(rec, 'set-log-level', { level: 'info' })).result, { level: 'info', was: 'debug' });
  });

  await t.test('SIGKILL mid-alarm: the restarted agent raises nothing new and clears the same alarm', async (t) => {
    devices.gas.set('lel', 30);
    const raised = await waitFor('the alarm raised', () => rec.of('alarm').find((m) => m.payload.alarm.state === 'raised')?.payload.alarm);
    await edge.stop('SIGKILL');
    const before = births(rec).length;
    await edge.start();
    t.match(edge.output, /running the manifest applied by apply-config/, 'the restart runs the applied manifest');
    await waitFor('the restarted agent online', () => births(rec).length > before);
    const from = rec.of('telemetry').length;
    await waitFor('readings of lel 30 after the restart', () => rec.of('telemetry').slice(from).some((m) => m.payload.readings.some((r: { metric: string; value: number }) => r.metric === 'lel' && r.value === 30)));
    devices.gas.set('lel', 5);
    const clear = await waitFor('the alarm cleared', () => rec.of('alarm').find((m) => m.payload.alarm.state === 'cleared')?.payload.alarm);
    t.equal(clear.id, raised.id, 'cleared under the id it was raised with');
    t.equal(new Set(rec.of('alarm').filter((m) => m.payload.alarm.state === 'raised').map((m) => m.payload.alarm.id)).size, 1, 'raised once');
  });

  await t.test('every seq of the stream was published or is still in the outbox', async (t) => {
    await edge.stop('SIGTERM');
    const outbox = readOutbox(join(dir, 'outbox.db'));
    t.equal(outbox.stream, stream, 'one stream throughout');
    const seen = new Set([...rec.seqs(), ...outbox.pending]);
    const first = Math.min(...seen);
    const missing = Array.from({ length: outbox.nextSeq - first }, (_, i) => first + i).filter((seq) => !seen.has(seq));
    t.same(missing, [], `seqs ${first}..${outbox.nextSeq - 1}`);
    t.ok(outbox.nextSeq - first > 100, `${outbox.nextSeq - first} messages`);
  });

  await t.test('a --config file edited since the apply takes the pole back', async (t) => {
    t.ok(existsSync(join(dir, 'applied-manifest.yaml')));
    appendFileSync(manifest, '# edited at the pole\n');
    await edge.start();
    t.match(edge.output, /pole\.yaml changed since the manifest applied at [^"]*: running the file/);
    t.notOk(existsSync(join(dir, 'applied-manifest.yaml')), 'the applied manifest is forgotten');
    await edge.stop('SIGTERM');
  });
});
