// Modbus PDUs (function code + data), the part of a frame that is the same over every transport:
// requests the driver sends, how it reads the answers, and how a simulated unit answers them.
// Pure; framing (RTU's unit id and CRC) is rtu-frame.ts's job.
import type { RegisterTable } from '../sdk/index.js';
import { ModbusException } from './modbus-client.js';

const READ_FUNCTION: Record<RegisterTable, number> = { coil: 1, discrete: 2, holding: 3, input: 4 };
const TABLE_OF_READ: Record<number, RegisterTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };
const EXCEPTION_FLAG = 0x80;

function header(fc: number, address: number, value: number, extra = 0): Buffer {
  const pdu = Buffer.alloc(5 + extra);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(value, 3);
  return pdu;
}

export function readRequest(table: RegisterTable, address: number, count: number): Buffer {
  return header(READ_FUNCTION[table], address, count);
}

/** FC6 for one register, FC16 for several. */
export function writeRegistersRequest(address: number, words: readonly number[]): Buffer {
  if (words.length === 1) return header(6, address, words[0]);
  const pdu = header(16, address, words.length, 1 + 2 * words.length);
  pdu[5] = 2 * words.length;
  words.forEach((word, i) => pdu.writeUInt16BE(word, 6 + 2 * i));
  return pdu;
}

/** FC5: 0xFF00 on, 0x0000 off. */
export function writeCoilRequest(address: number, state: boolean): Buffer {
  return header(5, address, state ? 0xff00 : 0);
}

/** Length of the normal (not exception) answer PDU to `request`. */
export function answerLength(request: Buffer): number {
  const fc = request[0];
  const count = request.readUInt16BE(3);
  if (fc === 1 || fc === 2) return 2 + Math.ceil(count / 8);
  if (fc === 3 || fc === 4) return 2 + 2 * count;
  return 5;
}

/**
 * The words (or 0/1 bits) an answer carries for `request`. Throws ModbusException for an exception
 * answer, and an Error for an answer that does not fit the request.
 */
export function parseAnswer(request: Buffer, answer: Buffer): number[] {
  const fc = request[0];
  if (answer[0] === (fc | EXCEPTION_FLAG)) throw new ModbusException(answer[1]);
  if (answer[0] !== fc || answer.length !== answerLength(request)) {
    throw new Error(`answer to function ${fc} has function ${answer[0]} and ${answer.length} bytes, expected ${answerLength(request)}`);
  }
  const count = request.readUInt16BE(3);
  if (fc === 1 || fc === 2) return Array.from({ length: count }, (_, i) => (answer[2 + (i >> 3)] >> (i & 7)) & 1);
  if (fc === 3 || fc === 4) return Array.from({ length: count }, (_, i) => answer.readUInt16BE(2 + 2 * i));
  return [];
}

/** A unit's registers as a simulator serves them; a thrown error with `modbusErrorCode` becomes that exception. */
export interface RegisterAccess {
  read(table: RegisterTable, address: number, count: number): number[];
  write(table: RegisterTable, address: number, words: number[]): void;
}

/** The answer of a unit that refuses function `fc` with exception `code`. */
export function exceptionAnswer(fc: number, code: number): Buffer {
  return Buffer.from([fc | EXCEPTION_FLAG, code]);
}

/** The answer PDU of a unit with `registers` to `request` (FC1-6, 15, 16; others: exception 1). */
export function serveRequest(request: Buffer, registers: RegisterAccess): Buffer {
  const fc = request[0];
  try {
    if (request.length < 5) return exceptionAnswer(fc, 3);
    const address = request.readUInt16BE(1);
    const value = request.readUInt16BE(3);
    const table = TABLE_OF_READ[fc];
    if (table) {
      const words = registers.read(table, address, value);
      const bits = fc <= 2;
      const answer = Buffer.alloc(2 + (bits ? Math.ceil(words.length / 8) : 2 * words.length));
      answer[0] = fc;
      answer[1] = answer.length - 2;
      if (bits) words.forEach((bit, i) => (answer[2 + (i >> 3)] |= (bit & 1) << (i & 7)));
      else words.forEach((word, i) => answer.writeUInt16BE(word, 2 + 2 * i));
      return answer;
    }
    if (fc === 5) registers.write('coil', address, [value === 0xff00 ? 1 : 0]);
    else if (fc === 6) registers.write('holding', address, [value]);
    else if (fc === 16) registers.write('holding', address, Array.from({ length: value }, (_, i) => request.readUInt16BE(6 + 2 * i)));
    else if (fc === 15) registers.write('coil', address, Array.from({ length: value }, (_, i) => (request[6 + (i >> 3)] >> (i & 7)) & 1));
    else return exceptionAnswer(fc, 1);
    return request.subarray(0, 5);
  } catch (err) {
    const code = (err as { modbusErrorCode?: unknown }).modbusErrorCode;
    return exceptionAnswer(fc, typeof code === 'number' ? code : 4);
  }
}
