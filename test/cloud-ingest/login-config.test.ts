// The cloud config's `logins` key: the login throttle's limits, validated with a message that names
// the key and its line; an Authenticator built with them throttles by them.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCloudConfig } from '../../config/load-cloud-config.js';
import { Authenticator } from '../../cloud-ingest/auth.js';
import { PoleRegistryView } from '../../cloud-ingest/registry.js';
import { hashSecret } from '../../cloud-ingest/secrets.js';
import { memoryLog } from './fixture.js';

const BASE = 'mqtt: { port: 0 }\nstore: { kind: sqlite, path: ./city.db }\npoles: ./poles.yaml\n';

t.test('logins: accepted as documented; refused when out of range or inconsistent, naming the key', async (t) => {
  const dir = t.testdir();
  const load = (text: string) => {
    const file = join(dir, 'cloud.yaml');
    writeFileSync(file, BASE + text);
    return loadCloudConfig(file);
  };
  const ok = await load('logins: { baseDelayMs: 50, maxDelayMs: 2000, maxConcurrent: 3, maxPerAddress: 500 }\n');
  t.same(ok.config.logins, { baseDelayMs: 50, maxDelayMs: 2000, maxConcurrent: 3, maxPerAddress: 500 });
  await t.rejects(load('logins: { maxConcurrent: 0 }\n'), { exitCode: 2, message: /logins\.maxConcurrent/ });
  await t.rejects(load('logins: { maxPerAdress: 100 }\n'), { exitCode: 2, message: /maxPerAdress/ }, 'a misspelt key');
  await t.rejects(load('logins:\n  baseDelayMs: 500\n  maxDelayMs: 100\n'), { exitCode: 2, message: /logins\.maxDelayMs.*maxDelayMs 100 is below baseDelayMs 500/s });
});

t.test('logins.baseDelayMs and maxPerAddress are what the throttle applies', async (t) => {
  const { log } = memoryLog();
  const registry = new PoleRegistryView(join(t.testdir(), 'poles.yaml'), () => undefined);
  const users = [{ username: 'viewer', passwordHash: await hashSecret('right'), role: 'read' as const }];
  const auth = new Authenticator({ registry, users, log, throttle: { baseDelayMs: 600, maxPerAddress: 1 } });
  t.notOk(await auth.user('viewer', 'wrong', '10.0.0.1'));
  const started = Date.now();
  t.notOk(await auth.user('viewer', 'wrong', '10.0.0.2'), 'the username has a failure on record');
  t.ok(Date.now() - started >= 600, `the second failure waited ${Date.now() - started} ms (baseDelayMs 600)`);
  const both = await Promise.all([auth.user('viewer', 'right', '10.0.0.3'), auth.user('viewer', 'right', '10.0.0.3')]);
  t.equal(both.filter(Boolean).length, 1, 'with maxPerAddress 1 the second attempt under way from one address is refused');
});
