// One Modbus RTU unit on a shared ByteBus (a serial bus, or a serial server over TCP): each call is
// one arbitrated transaction; the bus owns timing, timeouts and retries, this file the frames.
import type { RegisterTable } from '../../config/profile-schema.js';
import type { ByteBus } from '../sdk/types.js';
import type { ModbusClient } from './modbus-client.js';
import { parseAnswer, readRequest, writeCoilRequest, writeRegistersRequest } from './pdu.js';
import { answerCheck, pduOf, rtuFrame } from './rtu-frame.js';

export class RtuClient implements ModbusClient {
  constructor(private readonly bus: ByteBus, private readonly unitId: number) {}

  /** The bus is opened and reopened by the agent; a unit has no connection of its own. */
  get connected(): boolean {
    return true;
  }

  async connect(): Promise<void> {}

  read(table: RegisterTable, address: number, count: number): Promise<number[]> {
    return this.call(readRequest(table, address, count));
  }

  async writeRegisters(address: number, words: number[]): Promise<void> {
    await this.call(writeRegistersRequest(address, words));
  }

  async writeCoil(address: number, state: boolean): Promise<void> {
    await this.call(writeCoilRequest(address, state));
  }

  close(): void {}

  private async call(request: Buffer): Promise<number[]> {
    const frame = await this.bus.transact(rtuFrame(this.unitId, request), answerCheck(this.unitId, request));
    return parseAnswer(request, pduOf(frame));
  }
}
