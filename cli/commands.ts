// The subcommands, one file each.
import type { Command } from 'commander';
import { register as registerEdge } from './edge.js';
import { register as registerValidate } from './validate.js';
import { register as registerCloud } from './cloud.js';
import { register as registerSim } from './sim.js';
import { register as registerDemo } from './demo.js';
import { register as registerScan } from './scan.js';
import { register as registerDriver } from './driver-test.js';
import { register as registerStatus } from './status.js';

export function registerCommands(program: Command): void {
  registerEdge(program);
  registerValidate(program);
  registerCloud(program);
  registerSim(program);
  registerDemo(program);
  registerScan(program);
  registerDriver(program);
  registerStatus(program);
}
