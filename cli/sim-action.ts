// What `polegate sim modbus` runs (cli/sim.ts registers the command): one simulated Modbus TCP
// device serving a profile, until Ctrl-C.
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { loadProfileArg } from '../fixtures/profiles.js';
import { SCENARIO_PROFILES, scenarioFor, type ScenarioName } from '../fixtures/scenarios.js';
import { stopSignal } from './run.js';

export interface SimModbusOptions {
  profile: string;
  host: string;
  port: number;
  unit?: number;
  scenario: ScenarioName;
}

export async function simModbus(opts: SimModbusOptions): Promise<void> {
  const profile = await loadProfileArg(opts.profile);
  // A vendor's profile has no scripted scenario: its metrics read as zero until written.
  const scenario = SCENARIO_PROFILES.includes(profile.name) ? scenarioFor(opts.scenario, profile.name) : undefined;
  const sim = await startModbusSim({ profile, host: opts.host, port: opts.port, unitId: opts.unit, scenario });
  process.stdout.write(`Modbus TCP simulator of ${profile.name}${profile.model ? ` (${profile.model})` : ''} listening on ${sim.host}:${sim.port}, unit ${opts.unit ?? 'any'}, scenario ${scenario?.name ?? 'none'}; Ctrl-C stops\n`);
  await stopSignal();
  await sim.close();
}
