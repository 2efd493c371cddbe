// `polegate scan onvif` when it runs: one WS-Discovery probe, then (with credentials) each camera's
// device information through the onvif driver itself, and manifest entries on stdout.
import pino from 'pino';
import onvif from '../drivers/onvif/index.js';
import { WS_DISCOVERY_GROUP, WS_DISCOVERY_PORT, probe } from '../drivers/onvif/discovery.js';
import type { ScanOnvifOptions } from './scan.js';
import { onvifSnippet, type FoundCamera } from './scan-snippet.js';

async function describeCamera(camera: FoundCamera, opts: ScanOnvifOptions): Promise<FoundCamera> {
  const url = new URL(camera.xaddrs[0]!);
  const driver = onvif.create(
    { host: url.hostname, port: url.port === '' ? 80 : Number(url.port), username: opts.username, password: opts.password, events: [], timeoutMs: opts.timeout },
    { deviceId: camera.endpoint, log: pino({ level: 'silent' }), clock: { now: Date.now }, timeoutMs: opts.timeout },
  );
  try {
    await driver.open();
    const { manufacturer, model, firmware, serial } = driver.describe();
    const facts = [firmware && `firmware ${firmware}`, serial && `serial ${serial}`].filter(Boolean).join(', ');
    const name = [manufacturer, model].filter(Boolean).join(' ');
    return { ...camera, description: facts ? `${name} (${facts})` : name };
  } catch (err) {
    // The driver's message starts with the device id (here the endpoint); the snippet says where already.
    return { ...camera, problem: (err as Error).message.replace(/^device \S+ \([^)]*\): /, '') };
  } finally {
    await driver.close();
  }
}

export async function scanOnvif(opts: ScanOnvifOptions): Promise<void> {
  const where = opts.target ? `${opts.target.host}:${opts.target.port} (unicast)` : `${WS_DISCOVERY_GROUP}:${WS_DISCOVERY_PORT} (multicast)`;
  process.stderr.write(`probing WS-Discovery at ${where}, waiting ${opts.timeout} ms for answers\n`);
  let found: FoundCamera[] = await probe({ target: opts.target, timeoutMs: opts.timeout });
  for (const camera of found) process.stderr.write(`found ${camera.xaddrs[0]} (${camera.hardware ?? camera.endpoint})\n`);
  if (opts.username !== undefined) found = await Promise.all(found.map((camera) => describeCamera(camera, opts)));
  process.stdout.write(onvifSnippet(found, opts.username));
}
