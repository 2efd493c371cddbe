// What `polegate demo` (also `npm start`) runs; cli/demo.ts registers the command. The whole system
// on embedded defaults in one command: cloud ingest, three simulated Modbus devices, a simulated
// ONVIF camera and one edge
// agent talk over real sockets through the same code as in production; the live view is a platform
// subscriber on the topic tree. A scripted scenario plays a gas leak, a pipe burst and an uplink cut
// with recovery.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { startCloud } from '../cloud-ingest/cloud.js';
import { addPole } from '../cloud-ingest/registry.js';
import { hashSecret, newSecret } from '../cloud-ingest/secrets.js';
import { startEdgeAgent } from '../edge-agent/agent.js';
import { loadManifest } from '../config/load-manifest.js';
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import { DEMO_CAMERA_SCRIPT, demoScenario } from '../fixtures/scenarios.js';
import { startOnvifSim } from '../fixtures/onvif-sim.js';
import { startTcpProxy } from '../fixtures/tcp-proxy.js';
import { DEFAULT_TOPIC_ROOT } from '../contract/index.js';
import { preferPort } from './ports.js';
import { describeMessage, bold } from './demo-view.js';
import { stopSignal } from './run.js';
import { PolegateError } from '../config/errors.js';

const POLE = 'demo-pole-001';
const MARKER = '.polegate-demo';
const HOST = '127.0.0.1';
/**
 * When the uplink is cut, and for how long (ms after start): after the gas alarm has cleared (about
 * +47 s), during the pipe burst's pressure drop (+45 s to +65 s), so that the cut and the backlog's
 * drain both happen inside a 90-second run.
 */
const OUTAGE = { atMs: 50_000, forMs: 15_000 };

export interface DemoOptions {
  dir: string;
  duration?: string;
  mqttPort: string;
  httpPort: string;
}

function durationMs(value: string): number {
  const seconds = Number(value);
  if (!(seconds > 0)) throw new PolegateError(`--duration must be a number of seconds above 0, not '${value}'`, 'BAD_ARGUMENT', 2);
  return seconds * 1000;
}

function portOption(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PolegateError(`${flag} must be a TCP port from 0 to 65535 (0: any free port), not '${value}'`, 'BAD_ARGUMENT', 2);
  return port;
}

/** The demo wipes its folder at start; it only ever wipes a folder it made itself. */
async function freshDemoDir(dir: string): Promise<void> {
  const marker = path.join(dir, MARKER);
  const entries = await readdir(dir).catch(() => []);
  if (entries.length > 0 && !existsSync(marker)) {
    throw new PolegateError(`${dir} is not empty and was not made by \`polegate demo\`; choose another folder with --dir`, 'BAD_ARGUMENT', 2);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(marker, 'polegate demo data; this folder is wiped at each `polegate demo`\n');
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const stopAfter = opts.duration === undefined ? undefined : durationMs(opts.duration);
  const wantedMqtt = portOption(opts.mqttPort, '--mqtt-port');
  const wantedHttp = portOption(opts.httpPort, '--http-port');
  const dir = path.resolve(opts.dir);
  await freshDemoDir(dir);
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination({ dest: path.join(dir, 'demo.log'), sync: false }));
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const mqttPort = await preferPort(wantedMqtt, HOST);
  const httpPort = await preferPort(wantedHttp, HOST);

  // Cloud: registry with the demo pole, a platform user for the live view.
  const registry = path.join(dir, 'poles.yaml');
  const poleSecret = await addPole(registry, POLE);
  const platformPassword = newSecret();
  const cloud = await startCloud({
    dir,
    log: log.child({ part: 'cloud' }),
    config: {
      topicRoot: DEFAULT_TOPIC_ROOT,
      mqtt: { host: HOST, port: mqttPort.port },
      http: { host: HOST, port: httpPort.port },
      store: { kind: 'sqlite', path: path.join(dir, 'city.db') },
      poles: registry,
      users: [{ username: 'platform', passwordHash: await hashSecret(platformPassword), role: 'operate' }],
    },
  });

  // Devices: one simulator per built-in profile; the gas detector and the pressure transmitter play
  // the scripted leak and burst.
  const sims = await Promise.all(
    (['gas-detector', 'pressure-transmitter', 'water-level'] as const).map(async (name) =>
      startModbusSim({ profile: await loadBuiltinProfile(name), host: HOST, port: 0, unitId: 1, scenario: demoScenario(name) }),
    ),
  );
  const [gas, pressure, level] = sims;
  // The pole's camera: motion events on a script of its own.
  const camera = await startOnvifSim({ host: HOST, port: 0 });

  // The pole's uplink goes through a relay the demo can cut, like a 4G modem dropping.
  const uplink = await startTcpProxy({ target: { host: HOST, port: cloud.ports.mqtt! } });

  const manifestFile = path.join(dir, 'pole.yaml');
  await writeFile(manifestFile, demoManifest({ uplinkPort: uplink.port, gasPort: gas!.port, pressurePort: pressure!.port, levelPort: level!.port, cameraPort: camera.port, dir }));
  const loaded = await loadManifest(manifestFile, { env: { ...process.env, POLE_SECRET: poleSecret, CAM_PASSWORD: camera.password } });

  // The live view: what the central platform sees. Subscribed before the pole starts, so that it
  // sees the pole's first telemetry (later ones carry only what changed beyond the deadband).
  const viewer = mqtt.connect(`mqtt://${HOST}:${cloud.ports.mqtt}`, { username: 'platform', password: platformPassword, clientId: `platform:demo-view-${process.pid}` });
  let onSubscribed = () => {};
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  viewer.on('connect', () => viewer.subscribe(`${DEFAULT_TOPIC_ROOT}/#`, { qos: 1 }, () => onSubscribed()));
  viewer.on('message', (topic, payload) => {
    const line = describeMessage(DEFAULT_TOPIC_ROOT, topic, payload, `http://${HOST}:${cloud.ports.http}`);
    if (line) say(line);
  });
  await subscribed;
  const agent = await startEdgeAgent(loaded, { log: log.child({ part: 'edge' }) });

  const moved = (p: { port: number; moved: boolean }, wanted: number) => (p.moved ? ` (port ${wanted} was taken, so ${p.port})` : '');
  const http = `http://${HOST}:${cloud.ports.http}`;
  say(bold('polegate demo — one pole, three sensors and a camera, one cloud'));
  // The sign-in link carries the password in the fragment: the browser never sends it to a server.
  say(`  Dashboard    ${http}/login#u=platform&p=${platformPassword}${moved(httpPort, wantedHttp)}`);
  say(`  Cloud API    ${http}/api/poles`);
  say(`               curl -u platform:${platformPassword} ${http}/api/poles/${POLE}`);
  say(`  MQTT broker  mqtt://${HOST}:${cloud.ports.mqtt}${moved(mqttPort, wantedMqtt)}  (user platform, password above; topics ${DEFAULT_TOPIC_ROOT}/#)`);
  // A platform user's client id must not look like a pole id: `platform:<something>`.
  say(`               mosquitto_sub -h ${HOST} -p ${cloud.ports.mqtt} -i platform:sub -u platform -P ${platformPassword} -t '${DEFAULT_TOPIC_ROOT}/#' -v`);
  say(`  Pole         ${POLE}, manifest ${path.relative(process.cwd(), manifestFile)}, data in ${path.relative(process.cwd(), dir) || '.'}`);
  say(`  Camera       ${camera.deviceUrl} (ONVIF, user ${camera.username}, password ${camera.password})`);
  say(`  Scenario     camera motion at +10 s, gas leak at +20 s, pipe burst at +45 s, uplink cut at +${OUTAGE.atMs / 1000} s for ${OUTAGE.forMs / 1000} s; Ctrl-C stops`);

  const timers = [
    ...DEMO_CAMERA_SCRIPT.map((step) => setTimeout(() => camera.setState(step.topic, step.state), step.atMs)),
    setTimeout(() => {
      say(bold(`-- uplink cut: the pole buffers readings in its outbox for ${OUTAGE.forMs / 1000} s`));
      uplink.cut();
    }, OUTAGE.atMs),
    setTimeout(() => {
      say(bold('-- uplink restored: the backlog drains, alarms first'));
      uplink.restore();
    }, OUTAGE.atMs + OUTAGE.forMs),
  ];

  const stops: Promise<unknown>[] = [stopSignal()];
  if (stopAfter !== undefined) stops.push(new Promise((resolve) => timers.push(setTimeout(resolve, stopAfter))));
  await Promise.race(stops);
  say('stopping…');
  for (const timer of timers) clearTimeout(timer);
  await agent.close();
  await new Promise<void>((resolve) => viewer.end(false, {}, () => resolve()));
  await uplink.close();
  await Promise.all(sims.map((sim) => sim.close()));
  await camera.close();
  await cloud.close();
  log.flush();
  say('stopped.');
}

function demoManifest(p: { uplinkPort: number; gasPort: number; pressurePort: number; levelPort: number; cameraPort: number; dir: string }): string {
  return `# Written by \`polegate demo\`: a pole with three Modbus TCP sensors and an ONVIF camera on simulators.
pole:
  id: ${POLE}
  componentCode: "1101050101000001"
  location: { lat: 39.9219, lon: 116.4432, grid: "110105001001" }
uplink:
  url: mqtt://${HOST}:${p.uplinkPort}
  username: ${POLE}
  password: \${POLE_SECRET}
buffer:
  path: ${JSON.stringify(path.join(p.dir, 'outbox.db'))}
  maxBytes: 64MiB
devices:
  - { id: gas-1, driver: modbus, host: ${HOST}, port: ${p.gasPort}, unitId: 1, profile: gas-detector, pollMs: 1000 }
  - { id: pressure-1, driver: modbus, host: ${HOST}, port: ${p.pressurePort}, unitId: 1, profile: pressure-transmitter, pollMs: 1000 }
  - { id: level-1, driver: modbus, host: ${HOST}, port: ${p.levelPort}, unitId: 1, profile: water-level, pollMs: 2000 }
  - { id: cam-1, driver: onvif, host: ${HOST}, port: ${p.cameraPort}, username: admin, password: \${CAM_PASSWORD}, pollMs: 10000, events: [motion, tamper] }
rules:
  - { id: gas-high, metric: gas-1.lel, above: 20, clearBelow: 15, forMs: 3000, severity: critical, snapshot: cam-1 }
  - { id: burst, metric: pressure-1.pressure, dropBy: 50, withinMs: 60000, severity: major }
  - { id: flood, metric: level-1.level, above: 1.5, clearBelow: 1.3, severity: major }
report: { deadband: { default: 0.5% }, heartbeatMs: 30000 }
`;
}
