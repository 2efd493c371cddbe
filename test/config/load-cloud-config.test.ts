import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCloudConfig, loadPoleRegistry } from '../../config/load-cloud-config.js';
import { ConfigError, formatIssue } from '../../config/errors.js';

const dir = t.testdir();
async function file(name: string, text: string): Promise<string> {
  const at = path.join(dir, name);
  await writeFile(at, text);
  return at;
}
async function issues(promise: Promise<unknown>): Promise<string[]> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  return err.issues.map((i) => formatIssue(i).slice(dir.length + 1));
}

t.test('the example cloud config loads', async (t) => {
  const example = fileURLToPath(new URL('../../config/examples/cloud.yaml', import.meta.url));
  const loaded = await loadCloudConfig(example);
  t.equal(loaded.file, example);
  t.equal(loaded.dir, path.dirname(example));
  t.equal(loaded.config.store.kind, 'sqlite');
  t.equal(loaded.config.mqtts?.port, 8883);
});

t.test('environment references and the store union', async (t) => {
  const ok = await file('pg.yaml', 'ws: { port: 0 }\nhttp: { port: 0 }\nstore: { kind: postgres, url: "postgres://ingest:${PG}@db/city" }\npoles: ./poles.yaml\n');
  const loaded = await loadCloudConfig(ok, { env: { PG: 'pw' } });
  t.same(loaded.config.store, { kind: 'postgres', url: 'postgres://ingest:pw@db/city' });

  const bad = await file('store.yaml', 'mqtt: { port: 1883 }\nstore: { kind: sqlite, url: "postgres://x" }\npoles: p.yaml\n');
  t.same(await issues(loadCloudConfig(bad)), [
    'store.yaml:2:8: store: required key \'path\' is missing',
    "store.yaml:2:24: store.url: unknown key 'url'; expected one of: kind, path",
  ]);
  const kind = await file('kind.yaml', 'mqtt: { port: 1883 }\nstore: { kind: mysql }\npoles: p.yaml\n');
  t.same(await issues(loadCloudConfig(kind)), ['kind.yaml:2:16: store.kind: must be one of: sqlite, postgres, not "mysql"']);
});

t.test('listeners: at least one MQTT listener, no shared ports', async (t) => {
  const none = await file('none.yaml', 'http: { port: 8080 }\nstore: { kind: sqlite, path: x.db }\npoles: p.yaml\n');
  t.same(await issues(loadCloudConfig(none)), ['none.yaml:1:1: no MQTT listener: configure at least one of mqtt:, mqtts: or ws:']);
  const clash = await file('clash.yaml', 'mqtt: { port: 1883 }\nws: { port: 0 }\nhttp: { port: 0 }\nmqtts: { port: 1883, cert: c, key: k }\nstore: { kind: sqlite, path: x.db }\npoles: p.yaml\nusers: [{ username: u, passwordHash: plain, role: admin }]\n');
  t.same(await issues(loadCloudConfig(clash)), [
    'clash.yaml:4:16: mqtts.port: port 1883 is already used by mqtt:; each listener needs its own port (0 picks a free one)',
    "clash.yaml:7:38: users[0].passwordHash: \"plain\" is not a scrypt hash ('scrypt$…') as written by polegate cloud add-user",
    'clash.yaml:7:51: users[0].role: must be one of: read, operate, not "admin"',
  ]);
});

t.test('pole registry', async (t) => {
  t.same(await loadPoleRegistry(path.join(dir, 'absent.yaml')), { poles: [] }, 'a missing registry is empty');
  const ok = await file('poles.yaml', 'poles:\n  - { id: bj-cy-000123, secretHash: "scrypt$a$b" }\n  - { id: bj-cy-000124, certName: bj-cy-000124 }\n');
  t.equal((await loadPoleRegistry(ok)).poles.length, 2);
  const bad = await file('bad-poles.yaml', 'poles:\n  - { id: bj-cy-000123 }\n  - { id: bj-cy-000123 }\n  - { id: Pole_1 }\n');
  t.same(await issues(loadPoleRegistry(bad)), [
    "bad-poles.yaml:3:11: poles[1].id: pole 'bj-cy-000123' is already registered at poles[0]",
    "bad-poles.yaml:4:11: poles[2].id: \"Pole_1\" is not a valid pole id (3 to 64 lower-case letters, digits and '-', starting with a letter or digit)",
  ]);
});
