// Edge agent footprint: a pole of 19 values polled at 1 Hz, the agent in a child process publishing
// to a private Mosquitto. Samples the child's RSS and CPU for 30 s and prints them against the targets
// (RSS ≤ 60 MiB, CPU ≤ 0.3 %) and against a bare `node -e` process measured in the same run.
// The agent is compiled with tsc first (as `npm run build` would), so the child runs plain JavaScript:
// running it through tsx would measure the TypeScript loader too. NODE_FLAGS adds node options to the
// child (e.g. NODE_FLAGS=--max-semi-space-size=1) to see what the V8 heap settings buy.
// Run: node --import tsx bench/edge-rss.ts
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPole } from '../test/helpers/edge-manifest.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { record } from '../test/helpers/mqtt-recorder.js';
import { waitFor } from '../test/helpers/wait.js';

const SAMPLE_S = 30;
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString());

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
}

async function sample(child: ChildProcess, seconds: number): Promise<{ rssMax: number; rssMean: number; cpuPercent: number }> {
  const pid = child.pid!;
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    rss.push(rssMiB(pid));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rssMax: Math.max(...rss), rssMean: rss.reduce((a, b) => a + b, 0) / rss.length, cpuPercent: ((cpuSeconds(pid) - cpu0) / wall) * 100 };
}

const metrics = (prefix: string, n: number, unit: string) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, unit, value: 10 + i, step: 0.01 }));
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const out = join(dir, 'dist');
execFileSync(join(root, 'node_modules/.bin/tsc'), [
  join(root, 'test/helpers/edge-child.ts'), join(root, 'types/ucum-lhc.d.ts'),
  '--outDir', out, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
  '--strict', '--esModuleInterop', '--resolveJsonModule', '--skipLibCheck',
], { stdio: 'inherit' });
symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
writeFileSync(join(out, 'package.json'), readFileSync(join(root, 'package.json')));
const broker = await startMosquitto(dir);
try {
  const pole: TestPole = {
    pole: 'bench-pole-1',
    topicRoot: 'bench/v1',
    url: broker.url,
    bufferPath: join(dir, 'outbox.db'),
    devices: [
      { id: 'gas-1', pollMs: 1000, metrics: metrics('gas', 4, '%LEL') },
      { id: 'pressure-1', pollMs: 1000, metrics: metrics('p', 5, 'bar') },
      { id: 'level-1', pollMs: 1000, metrics: metrics('level', 5, 'cm') },
      { id: 'env-1', pollMs: 1000, metrics: metrics('t', 5, 'Cel') },
    ],
  };
  const rec = await record(broker.url, pole.topicRoot);
  const agent = spawn(process.execPath, [...(process.env.NODE_FLAGS?.split(' ').filter(Boolean) ?? []), join(out, 'test/helpers/edge-child.js'), JSON.stringify(pole)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let connected = false;
  agent.stdout!.on('data', (c: Buffer) => (connected ||= c.toString().includes('connected')));
  await waitFor('the agent to connect', () => connected, 20_000);
  await new Promise((r) => setTimeout(r, 3000)); // warm-up: module loading is not the steady state
  const received0 = rec.of('telemetry').length;
  const [edge, baseline] = await Promise.all([sample(agent, SAMPLE_S), sample(bare, SAMPLE_S)]);
  const readings = rec.of('telemetry').slice(received0).reduce((n, m) => n + m.payload.readings.length, 0);
  agent.kill('SIGTERM');
  bare.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  await rec.close();

  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`readings delivered in ${SAMPLE_S} s: ${readings} (expected ~${19 * SAMPLE_S})`);
  console.log(`edge agent RSS:  max ${edge.rssMax.toFixed(1)} MiB, mean ${edge.rssMean.toFixed(1)} MiB (target ≤ 60 MiB: ${mark(edge.rssMax <= 60)})`);
  console.log(`bare node RSS:   max ${baseline.rssMax.toFixed(1)} MiB  → agent/bare ${(edge.rssMax / baseline.rssMax).toFixed(2)}×, +${(edge.rssMax - baseline.rssMax).toFixed(1)} MiB`);
  console.log(`edge agent CPU:  ${edge.cpuPercent.toFixed(3)} % of one core (target ≤ 0.3 %: ${mark(edge.cpuPercent <= 0.3)}); bare node ${baseline.cpuPercent.toFixed(3)} %`);
  if (process.env.NODE_FLAGS) console.log(`child node flags: ${process.env.NODE_FLAGS}`);
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
