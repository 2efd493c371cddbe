// The baseline every modbus benchmark measures against: a raw modbus-serial client over TCP, with
// one read function per table and nothing decoded.
import modbusSerial from 'modbus-serial';
import type { ReadRequest } from '../../drivers/modbus/read-plan.js';

export interface RawModbus {
  read(request: ReadRequest): Promise<unknown>;
  close(): Promise<void>;
}

export async function openRawModbus(host: string, port: number): Promise<RawModbus> {
  const raw = new modbusSerial.default();
  raw.on('error', () => undefined);
  await raw.connectTCP(host, { port });
  raw.setID(1);
  raw.setTimeout(1000);
  const reads = {
    holding: (a: number, n: number) => raw.readHoldingRegisters(a, n),
    input: (a: number, n: number) => raw.readInputRegisters(a, n),
    coil: (a: number, n: number) => raw.readCoils(a, n),
    discrete: (a: number, n: number) => raw.readDiscreteInputs(a, n),
  };
  return {
    read: (r) => reads[r.table](r.address, r.count),
    close: () => new Promise<void>((resolve) => raw.close(() => resolve())),
  };
}
