// `polegate sim modbus`: one simulated Modbus TCP device serving a profile, until Ctrl-C.
import { InvalidArgumentError, type Command } from 'commander';
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { loadProfileArg } from '../fixtures/profiles.js';
import { SCENARIO_NAMES, SCENARIO_PROFILES, scenarioFor, type ScenarioName } from '../fixtures/scenarios.js';
import { stopSignal } from './run.js';

interface SimModbusOptions {
  profile: string;
  host: string;
  port: number;
  unit?: number;
  scenario: ScenarioName;
}

function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return value;
  };
}

function scenarioName(text: string): ScenarioName {
  if (!(SCENARIO_NAMES as readonly string[]).includes(text)) throw new InvalidArgumentError(`scenario must be one of ${SCENARIO_NAMES.join(', ')}.`);
  return text as ScenarioName;
}

async function simModbus(opts: SimModbusOptions): Promise<void> {
  const profile = await loadProfileArg(opts.profile);
  // A vendor's profile has no scripted scenario: its metrics read as zero until written.
  const scenario = SCENARIO_PROFILES.includes(profile.name) ? scenarioFor(opts.scenario, profile.name) : undefined;
  const sim = await startModbusSim({ profile, host: opts.host, port: opts.port, unitId: opts.unit, scenario });
  process.stdout.write(`Modbus TCP simulator of ${profile.name}${profile.model ? ` (${profile.model})` : ''} listening on ${sim.host}:${sim.port}, unit ${opts.unit ?? 'any'}, scenario ${scenario?.name ?? 'none'}; Ctrl-C stops\n`);
  await stopSignal();
  await sim.close();
}

export function register(program: Command): void {
  const sim = program.command('sim').description('Run device simulators (for field tests and driver work)');
  sim
    .command('modbus')
    .description('Simulate a Modbus TCP device serving a profile\'s registers')
    .requiredOption('--profile <name|path>', 'built-in profile name (gas-detector, …) or a path to a profile YAML')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integer('--port', 0, 65535), 5020)
    .option('--unit <n>', 'answer only this unit id (default: any)', integer('--unit', 0, 255))
    .option('--scenario <name>', `what the device measures: ${SCENARIO_NAMES.join(' or ')}`, scenarioName, 'quiet')
    .action((opts: SimModbusOptions) => simModbus(opts));
}
