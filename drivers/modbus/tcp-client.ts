// One Modbus TCP connection to one unit, over modbus-serial's client: connect with a deadline,
// every transaction with the timeout (modbus-serial has none by default), answers as plain words.
import modbusSerial from 'modbus-serial';
import type { RegisterTable } from '../../config/profile-schema.js';
import { ModbusException, type ModbusClient } from './modbus-client.js';

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

export class ModbusTcpClient implements ModbusClient {
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

  async writeRegisters(address: number, words: number[]): Promise<void> {
    const client = this.open();
    try {
      if (words.length === 1) await client.writeRegister(address, words[0]);
      else await client.writeRegisters(address, words);
    } catch (err) {
      throw asException(err);
    }
  }

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
