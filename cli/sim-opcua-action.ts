// What `polegate sim opcua` runs (cli/sim.ts registers the command): the OPC UA test server of
// fixtures/opcua-sim.ts, until Ctrl-C. node-opcua is a dev dependency: an installed polegate
// without it says so instead of failing on a missing module.
import { PolegateError } from '../config/errors.js';
import { stopSignal } from './run.js';

export interface SimOpcuaOptions {
  host: string;
  port: number;
  password?: string;
  pki?: string;
}

export async function simOpcua(opts: SimOpcuaOptions): Promise<void> {
  let sims: typeof import('../fixtures/opcua-sim.js');
  try {
    sims = await import('../fixtures/opcua-sim.js');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new PolegateError('polegate sim opcua needs node-opcua (a development dependency): run npm install in the polegate folder', 'DEPENDENCY_MISSING', 1);
  }
  const sim = await sims.startOpcuaSim({ host: opts.host, port: opts.port, password: opts.password, pkiDir: opts.pki });
  process.stdout.write(`OPC UA simulator listening on ${sim.endpoint} (security None or SignAndEncrypt Basic256Sha256; nodes ns=1;s=Pump1.Flow, Pump1.Pressure, Pump1.Running, Pump1.Mode, Pump1.Level, Pump1.Vibration, Tag01-Tag20); Ctrl-C stops\n`);
  await stopSignal();
  await sim.close();
}
