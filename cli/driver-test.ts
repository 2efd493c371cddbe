// `polegate driver test PATH_OR_PACKAGE [--sim COMMAND] [--options FILE]`: the driver conformance
// kit (driver-kit.ts). Registering the command loads nothing else; the kit loads when it runs.
import type { Command } from 'commander';

export interface DriverTestOptions {
  sim?: string;
  options?: string;
}

export function register(program: Command): void {
  const driver = program.command('driver').description('Work on drivers');
  driver
    .command('test')
    .description('Run the driver conformance kit: open the driver against its simulator and check describe/read/close, timeouts, a dropped link, garbled answers, events and handles left after close')
    .argument('<driver>', 'a built-in driver (modbus, opcua), a path to a driver module, or an installed package name')
    .option('--sim <command>', 'shell command that starts the device simulator (ready once it prints a line; POLEGATE_SIM_PORT holds a free port for it)')
    .option('--options <file>', 'YAML with the device options (the keys of a manifest device entry beside id and driver; ${POLEGATE_SIM_PORT} is the simulator\'s port)')
    .action(async (name: string, opts: DriverTestOptions) => (await import('./driver-test-action.js')).driverTest(name, opts));
}
