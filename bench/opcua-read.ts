// OPC UA: reads per second of 20 nodes through the opcua driver against the local test server
// (fixtures/opcua-sim.ts, node-opcua's server, in this process), beside node-opcua's own client
// reading the same 20 nodes in one Read request each time, in the same run (target: ratio ≥ 0.8);
// then the RSS of the real `polegate edge` with one OPC UA device of 20 nodes, beside the same agent
// with one Modbus TCP device instead (no OPC UA) and a bare `node -e`, sampled together.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeIds, OPCUAClient } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import opcua from '../drivers/opcua/index.js';
import { startOpcuaSim } from '../fixtures/opcua-sim.js';
import { rssMiB } from './lib/proc.js';
import { pollFor } from './lib/timed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RSS_SECONDS = Number(process.env.RSS_SECONDS ?? 20);
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-opcua-'));
const sim = await startOpcuaSim({ pkiDir: join(dir, 'server-pki') });
const nodes = Array.from({ length: 20 }, (_, i) => ({ name: `tag${i + 1}`, nodeId: `ns=1;s=Tag${String(i + 1).padStart(2, '0')}`, type: 'float' as const }));

function line(what: string, rate: number): void {
  console.log(`${what.padEnd(44)} ${rate.toFixed(0).padStart(6)} reads/s of 20 nodes`);
}

try {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, clientCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'baseline-pki') }) });
  await client.connect(sim.endpoint);
  const session = await client.createSession();
  const request = nodes.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value }));
  const base = await pollFor(SECONDS, 50, () => session.read(request));
  await session.close();
  await client.disconnect();
  const baseline = base.polls / base.seconds;
  line("baseline: node-opcua's client, session.read", baseline);

  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const driver = opcua.create({ endpoint: sim.endpoint, nodes }, { deviceId: 'bench', log, clock: { now: Date.now }, timeoutMs: 5000, stateDir: dir });
  await driver.open();
  const ours = await pollFor(SECONDS, 50, () => driver.read());
  await driver.close();
  const rate = ours.polls / ours.seconds;
  line('opcua driver read() → samples', rate);
  console.log(`ratio driver/baseline: ${(rate / baseline).toFixed(2)} (target ≥ 0.8: ${rate / baseline >= 0.8 ? 'met' : 'NOT met'}); CPU per read: driver ${(ours.cpuUs / ours.polls).toFixed(0)} µs, baseline ${(base.cpuUs / base.polls).toFixed(0)} µs (this process, server included)`);

  // The agent's memory, with and without an OPC UA device (the uplink goes nowhere: polling goes on).
  const manifest = (name: string, device: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `pole: { id: bench-${name} }\nuplink: { url: "mqtt://127.0.0.1:1" }\nbuffer: { path: ./${name}/outbox.db }\ndevices:\n${device}\n`);
    return file;
  };
  const withOpcua = manifest('opcua', `  - id: plc-1\n    driver: opcua\n    endpoint: "${sim.endpoint}"\n    pollMs: 1000\n    nodes:\n${nodes.map((n) => `      - { name: ${n.name}, nodeId: "${n.nodeId}", type: float }`).join('\n')}`);
  const without = manifest('modbus', '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 1000 }');
  const agent = (file: string) => spawn(join(root, 'bin/polegate'), ['edge', '--config', file], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } });
  const procs = { opcua: agent(withOpcua), modbus: agent(without), bare: spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }) };
  const max = { opcua: 0, modbus: 0, bare: 0 };
  await new Promise((r) => setTimeout(r, 10_000)); // start-up, the first connect and its certificate
  for (let s = 0; s < RSS_SECONDS; s++) {
    for (const key of Object.keys(procs) as Array<keyof typeof procs>) max[key] = Math.max(max[key], rssMiB(procs[key].pid!));
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const proc of Object.values(procs)) proc.kill('SIGTERM');
  await Promise.all(Object.values(procs).map((proc) => new Promise((r) => proc.once('exit', r))));
  console.log(`agent RSS (max over ${RSS_SECONDS} s): one OPC UA device of 20 nodes at 1 Hz ${max.opcua.toFixed(1)} MiB; one Modbus TCP device, no OPC UA ${max.modbus.toFixed(1)} MiB (+${(max.opcua - max.modbus).toFixed(1)} MiB for node-opcua); bare node ${max.bare.toFixed(1)} MiB`);
} finally {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
