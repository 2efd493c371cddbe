// A cluster config that cannot work stops `polegate cloud` at start with one line: Redis not
// reachable (exit 1, host and port, never the password), or a node timeout not above the heartbeat
// (exit 2).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/mosquitto.js';
import { polegate } from '../helpers/polegate-cli.js';

function cloudYaml(dir: string, cluster: string): string {
  const file = path.join(dir, 'cloud.yaml');
  writeFileSync(file, `mqtt: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
store: { kind: sqlite, path: ./city.db }
poles: ./poles.yaml
cluster: ${cluster}
`);
  return file;
}

t.test('Redis not reachable at start: one line naming it, exit 1', async (t) => {
  const port = await freePort();
  const run = await polegate(['cloud', '--config', cloudYaml(t.testdir(), `{ id: node-1, redis: "redis://:s3cret-pw@127.0.0.1:${port}/0" }`)]);
  t.equal(run.code, 1);
  t.match(run.stderr, `cannot use Redis at 127.0.0.1:${port} (cluster.redis in cloud.yaml): connect ECONNREFUSED`);
  t.notMatch(run.stderr + run.stdout, 's3cret-pw', 'the password is never printed');
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

t.test('nodeTimeoutMs not above heartbeatMs: refused, exit 2', async (t) => {
  const run = await polegate(['cloud', '--config', cloudYaml(t.testdir(), '{ id: node-1, redis: "redis://127.0.0.1:1", heartbeatMs: 2000, nodeTimeoutMs: 2000 }')]);
  t.equal(run.code, 2);
  t.match(run.stderr, 'cluster.nodeTimeoutMs (2000) must be more than cluster.heartbeatMs (2000) in cloud.yaml');
});
