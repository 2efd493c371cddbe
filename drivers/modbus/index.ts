// The built-in `modbus` driver. (Placeholder factory: the driver itself is being written.)
import type { DriverFactory } from '../sdk/types.js';
import { ModbusOptions, type ModbusDriverOptions } from './options.js';

const modbus: DriverFactory<ModbusDriverOptions> = {
  kind: 'modbus',
  optionsSchema: ModbusOptions,
  create() {
    throw new Error('the modbus driver is not written yet');
  },
};

export default modbus;
