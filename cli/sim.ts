// `polegate sim modbus`: one simulated Modbus TCP device serving a profile, until Ctrl-C; `polegate
// sim onvif`: one simulated ONVIF camera. Registering
// the command loads nothing else; the simulator loads when it runs (sim-action.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { SCENARIO_NAMES, type ScenarioName } from '../fixtures/scenarios.js';
import { integer } from './options.js';
import type { SimModbusOptions } from './sim-action.js';
import type { SimOnvifOptions } from './sim-onvif-action.js';

function scenarioName(text: string): ScenarioName {
  if (!(SCENARIO_NAMES as readonly string[]).includes(text)) throw new InvalidArgumentError(`scenario must be one of ${SCENARIO_NAMES.join(', ')}.`);
  return text as ScenarioName;
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
    .action(async (opts: SimModbusOptions) => (await import('./sim-action.js')).simModbus(opts));
  sim
    .command('onvif')
    .description('Simulate an ONVIF camera: device and media services, PullPoint events, a JPEG snapshot, WS-Discovery')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'HTTP port (0: any free port)', integer('--port', 0, 65535), 8080)
    .option('--username <name>', 'ONVIF user', 'admin')
    .option('--password <text>', 'its password (random when not given; printed)')
    .option('--discovery-port <n>', 'answer WS-Discovery probes on this UDP port (3702 is the standard one)', integer('--discovery-port', 0, 65535))
    .option('--clock-offset <s>', 'the camera clock is this many seconds off (a camera after a reboot: months)', integer('--clock-offset', -1e9, 1e9), 0)
    .option('--motion-every <s>', 'motion starts every this many seconds and lasts half of it (0: never)', integer('--motion-every', 0, 86400), 0)
    .action(async (opts: SimOnvifOptions) => (await import('./sim-onvif-action.js')).simOnvif(opts));
}
