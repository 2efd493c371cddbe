// The part of a ModbusClient that is the same over every framing: requests become PDUs (pdu.ts),
// and each link (MBAP over TCP, RTU on a bus) only carries a PDU to the unit and brings back the
// words of the answer.
import type { RegisterTable } from '../sdk/index.js';
import type { ModbusClient } from './modbus-client.js';
import { readRequest, writeCoilRequest, writeRegistersRequest } from './pdu.js';

export abstract class PduClient implements ModbusClient {
  abstract readonly connected: boolean;
  abstract connect(): Promise<void>;
  abstract close(): void;
  /** One transaction: `request` to the unit, the words (or bits) of its answer back. */
  protected abstract call(request: Buffer): Promise<number[]>;

  read(table: RegisterTable, address: number, count: number): Promise<number[]> {
    return this.call(readRequest(table, address, count));
  }

  async writeRegisters(address: number, words: number[]): Promise<void> {
    await this.call(writeRegistersRequest(address, words));
  }

  async writeCoil(address: number, state: boolean): Promise<void> {
    await this.call(writeCoilRequest(address, state));
  }
}
