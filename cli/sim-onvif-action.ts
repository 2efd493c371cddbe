// What `polegate sim onvif` runs (cli/sim.ts registers the command): one simulated ONVIF camera
// until Ctrl-C, printing where it is and its credentials (a simulator's are meant to be seen).
import { startOnvifSim } from '../fixtures/onvif-sim.js';
import { stopSignal } from './run.js';

export interface SimOnvifOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  discoveryPort?: number;
  clockOffset: number;
  motionEvery: number;
}

export async function simOnvif(opts: SimOnvifOptions): Promise<void> {
  const sim = await startOnvifSim({
    host: opts.host,
    port: opts.port,
    username: opts.username,
    password: opts.password,
    discoveryPort: opts.discoveryPort,
    faults: { clockOffsetMs: opts.clockOffset * 1000 },
  });
  let timer: NodeJS.Timeout | undefined;
  if (opts.motionEvery > 0) {
    let on = false;
    timer = setInterval(() => sim.setState('motion', (on = !on)), (opts.motionEvery * 1000) / 2);
  }
  process.stdout.write(`ONVIF camera simulator at ${sim.deviceUrl}${sim.discoveryPort === undefined ? '' : `, WS-Discovery on UDP ${sim.host}:${sim.discoveryPort}`}\n`
    + `  username: ${sim.username}\n  password: ${sim.password}\n`
    + `  manifest: - { id: cam-1, driver: onvif, host: ${sim.host}, port: ${sim.port}, username: ${sim.username}, password: "\${CAM_PASSWORD}" }\n`
    + 'Ctrl-C stops\n');
  await stopSignal();
  clearInterval(timer);
  await sim.close();
}
