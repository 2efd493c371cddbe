// Whole-system set-up for end-to-end tests: a cloud, simulated Modbus devices and a manifest that
// points a pole at them, all in a temp dir on real sockets.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { startCloud, type Cloud } from '../../cloud-ingest/cloud.js';
import { addPole } from '../../cloud-ingest/registry.js';
import { startModbusSim, type ModbusSim } from '../../fixtures/modbus-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { quietScenario } from '../../fixtures/scenarios.js';

export interface Tap {
  teardown(fn: () => unknown): void;
}

export const POLE = 'e2e-pole-001';

export async function registerPole(dir: string): Promise<{ registry: string; secret: string }> {
  const registry = path.join(dir, 'poles.yaml');
  return { registry, secret: await addPole(registry, POLE) };
}

/** A cloud on 127.0.0.1 with plain MQTT on `mqttPort` (0: a free one) and the HTTP API on a free port. */
export async function cloudOn(t: Tap, dir: string, registry: string, mqttPort = 0): Promise<Cloud> {
  const cloud = await startCloud({
    dir,
    log: pino({ level: 'silent' }),
    config: {
      mqtt: { host: '127.0.0.1', port: mqttPort },
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: path.join(dir, 'city.db') },
      poles: registry,
    },
  });
  t.teardown(() => cloud.close());
  return cloud;
}

export async function sims(t: Tap): Promise<{ gas: ModbusSim; pressure: ModbusSim }> {
  const [gas, pressure] = await Promise.all(
    ['gas-detector', 'pressure-transmitter'].map(async (name) =>
      startModbusSim({ profile: await loadBuiltinProfile(name), host: '127.0.0.1', port: 0, scenario: quietScenario(name) }),
    ),
  );
  t.teardown(() => Promise.all([gas!.close(), pressure!.close()]));
  return { gas: gas!, pressure: pressure! };
}

/** Writes a manifest for the pole with the two simulated devices; `extra` is appended as is. */
export function writeManifest(dir: string, p: { mqttPort: number | number[]; gasPort: number; pressurePort: number; pollMs?: number; extra?: string }): string {
  const file = path.join(dir, 'pole.yaml');
  const pollMs = p.pollMs ?? 200;
  // Several ports: uplink.urls, in that failover order.
  const brokers = typeof p.mqttPort === 'number' ? `url: "mqtt://127.0.0.1:${p.mqttPort}"` : `urls: [${p.mqttPort.map((port) => `"mqtt://127.0.0.1:${port}"`).join(', ')}]`;
  writeFileSync(file, `pole: { id: ${POLE}, location: { lat: 31.82, lon: 117.23 } }
uplink: { ${brokers}, username: ${POLE}, password: \${POLE_SECRET} }
buffer: { path: ./outbox.db }
devices:
  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${p.gasPort}, unitId: 1, profile: gas-detector, pollMs: ${pollMs} }
  - { id: pressure-1, driver: modbus, host: 127.0.0.1, port: ${p.pressurePort}, unitId: 1, profile: pressure-transmitter, pollMs: ${pollMs} }
${p.extra ?? ''}`);
  return file;
}

export async function getJson<T = any>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
