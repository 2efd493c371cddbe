// One Modbus TCP connection to one unit, over modbus-serial's client: connect with a deadline,
// every transaction with the timeout (modbus-serial has none by default), answers as plain words.
import modbusSerial from 'modbus-serial';
import type { RegisterTable } from '../../config/profile-schema.js';

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

export interface TcpTarget {
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
}

function asException(err: unknown): unknown {
  const code = (err as { modbusCode?: unknown } | null)?.modbusCode;
  return typeof code === 'number' ? new ModbusException(code) : err;
}

// modbus-serial is CommonJS: its client class is module.exports, which it also exports as `default`.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

export class ModbusTcpClient {
  private client: ModbusRTU | undefined;

  constructor(private readonly target: TcpTarget) {}

  get connected(): boolean {
    return this.client?.isOpen === true;
  }

  async connect(): Promise<void> {
    this.drop();
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener one would crash the process.
    client.on('error', () => undefined);
    const { host, port, unitId, timeoutMs } = this.target;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no TCP connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([client.connectTCP(host, { port }), deadline]);
    } catch (err) {
      client.destroy(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    this.client = client;
  }

  /** Words of a register table, or 0/1 per bit of a coil/discrete table. Throws ModbusException on a refusal. */
  async read(table: RegisterTable, address: number, count: number): Promise<number[]> {
    const client = this.open();
    try {
      switch (table) {
        case 'holding': return (await client.readHoldingRegisters(address, count)).data;
        case 'input': return (await client.readInputRegisters(address, count)).data;
        case 'coil': return (await client.readCoils(address, count)).data.slice(0, count).map(Number);
        case 'discrete': return (await client.readDiscreteInputs(address, count)).data.slice(0, count).map(Number);
      }
    } catch (err) {
      throw asException(err);
    }
  }

  /** FC6 for one register, FC16 for several. */
  async writeRegisters(address: number, words: number[]): Promise<void> {
    const client = this.open();
    try {
      if (words.length === 1) await client.writeRegister(address, words[0]);
      else await client.writeRegisters(address, words);
    } catch (err) {
      throw asException(err);
    }
  }

  /** FC5. */
  async writeCoil(address: number, state: boolean): Promise<void> {
    const client = this.open();
    try {
      await client.writeCoil(address, state);
    } catch (err) {
      throw asException(err);
    }
  }

  close(): void {
    this.drop();
  }

  private open(): ModbusRTU {
    if (!this.client || !this.client.isOpen) throw new Error('connection lost');
    return this.client;
  }

  private drop(): void {
    // destroy, not close: a half-dead peer must not keep us waiting for a FIN.
    this.client?.destroy(() => undefined);
    this.client = undefined;
  }
}
