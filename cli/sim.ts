// `polegate sim modbus`: one simulated Modbus TCP device serving a profile, until Ctrl-C; `polegate
// sim onvif`: one simulated ONVIF camera. Registering
// the command loads nothing else; the simulator loads when it runs (sim-action.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { SCENARIO_NAMES, type ScenarioName } from '../fixtures/scenarios.js';
import { integer } from './options.js';
import type { SimModbusOptions } from './sim-action.js';
import { INSTRUMENT_NAMES, type InstrumentName } from '../fixtures/serial-line-instruments.js';
import type { SimSerialLineOptions } from './sim-serial-line-action.js';
import type { SimOpcuaOptions } from './sim-opcua-action.js';
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
    .command('serial-line')
    .description('Simulate a line-oriented ASCII instrument on a serial path (a pty end) or a TCP port')
    .requiredOption('--instrument <name>', `what it is: ${INSTRUMENT_NAMES.join(' or ')}`, (text: string): InstrumentName => {
      if (!(INSTRUMENT_NAMES as string[]).includes(text)) throw new InvalidArgumentError(`instrument must be one of ${INSTRUMENT_NAMES.join(', ')}.`);
      return text as InstrumentName;
    })
    .option('--path <path>', 'serial port to answer on, e.g. one end of a socat pty pair')
    .option('--host <host>', 'address to listen on with --port', '127.0.0.1')
    .option('--port <n>', 'TCP port to listen on, as a serial server (0: any free port)', integer('--port', 0, 65535))
    .option('--stream-ms <n>', 'write a line every n ms unasked (the weather station streams every 1000 by default)', integer('--stream-ms', 1, 3_600_000))
    .option('--noise', 'bytes that are no text before each line')
    .option('--partial', 'each line written in three pieces')
    .option('--garbage', 'a line that is not the instrument\'s format instead of its line')
    .option('--foreign', 'another device\'s line before each line')
    .action(async (opts: SimSerialLineOptions) => (await import('./sim-serial-line-action.js')).simSerialLine(opts));
  sim
    .command('opcua')
    .description('Simulate an OPC UA server (a pump station: Pump1.Flow, Pump1.Pressure, …, Tags.Tag01-20) on node-opcua')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integer('--port', 0, 65535), 4840)
    .option('--password <secret>', 'accept user ops with this password (anonymous is always accepted)')
    .option('--pki <dir>', 'folder for the server\'s certificates (default: a fresh temporary folder)')
    .action(async (opts: SimOpcuaOptions) => (await import('./sim-opcua-action.js')).simOpcua(opts));
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
