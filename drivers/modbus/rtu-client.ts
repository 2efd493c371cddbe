// One Modbus RTU unit on a shared ByteBus (a serial bus, or a serial server over TCP): each call is
// one arbitrated transaction; the bus owns timing, timeouts and retries, this file the frames.
import type { ByteBus } from '../sdk/index.js';
import { parseAnswer } from './pdu.js';
import { PduClient } from './pdu-client.js';
import { answerCheck, pduOf, rtuFrame } from './rtu-frame.js';

export class RtuClient extends PduClient {
  constructor(private readonly bus: ByteBus, private readonly unitId: number) {
    super();
  }

  /** The bus is opened and reopened by the agent; a unit has no connection of its own. */
  get connected(): boolean {
    return true;
  }

  async connect(): Promise<void> {}

  close(): void {}

  protected async call(request: Buffer): Promise<number[]> {
    const frame = await this.bus.transact(rtuFrame(this.unitId, request), answerCheck(this.unitId, request));
    return parseAnswer(request, pduOf(frame));
  }
}
