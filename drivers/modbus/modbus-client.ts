// What the driver needs from a link to one unit, whatever carries it (Modbus TCP, RTU on a shared
// serial bus, RTU tunnelled over TCP), and the one error that means "the unit refused", not "the
// link failed".
import type { RegisterTable } from '../sdk/index.js';

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** The unit answered with a Modbus exception: the request was refused, the link is fine. */
export class ModbusException extends Error {
  constructor(readonly exceptionCode: number) {
    super(`Modbus exception ${exceptionCode} (${EXCEPTION_NAMES[exceptionCode] ?? 'unknown exception'})`);
    this.name = 'ModbusException';
  }
}

export interface ModbusClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  /** Words of a register table, or 0/1 per bit of a coil/discrete table. Throws ModbusException on a refusal. */
  read(table: RegisterTable, address: number, count: number): Promise<number[]>;
  /** FC6 for one register, FC16 for several. */
  writeRegisters(address: number, words: number[]): Promise<void>;
  /** FC5. */
  writeCoil(address: number, state: boolean): Promise<void>;
  close(): void;
}
