// Modbus RTU framing: unit id + PDU + CRC-16 (little-endian). Pure. RTU has no length field, so a
// reader must know how long the frame it waits for is, and must find it among whatever else is on
// the line: answers of other units (stale, late), line noise, a unit that answers with the wrong id.
import { crc16, type FrameCheck } from '../sdk/index.js';
import { answerLength } from './pdu.js';

/** unit + pdu + CRC. */
export function rtuFrame(unitId: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unitId;
  frame.set(pdu, 1);
  frame.writeUInt16LE(crc16(frame, pdu.length + 1), pdu.length + 1);
  return frame;
}

/** The PDU inside a frame that passed its check. */
export function pduOf(frame: Buffer): Buffer {
  return frame.subarray(1, frame.length - 2);
}

function crcOk(bytes: Buffer, length: number): boolean {
  return bytes.readUInt16LE(length - 2) === crc16(bytes, length - 2);
}

/** A server's answer frame length from its first bytes; undefined for a function no answer has, 0 when byte 2 is needed. */
function answerFrameLength(bytes: Buffer): number | undefined {
  const fc = bytes[1];
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) return bytes.length < 3 ? 0 : 5 + bytes[2];
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return undefined;
}

/** A master's request frame length from its first bytes (FC1-6: 8; FC15/16: 9 + byte count); 0 when more are needed. */
function requestFrameLength(bytes: Buffer): number | undefined {
  const fc = bytes[1];
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return bytes.length < 7 ? 0 : 9 + bytes[6];
  return undefined;
}

/** Unit ids a serial unit may have; 0 is broadcast, which is never answered. */
const isUnitId = (byte: number) => byte >= 1 && byte <= 247;

/**
 * The check for the answer of unit `unitId` to `request` (a PDU): accepts a frame with the unit's
 * id, the request's function (or its exception) and a good CRC; skips whole frames of other units;
 * steps over anything else one byte at a time, so that an answer after noise is still found.
 */
export function answerCheck(unitId: number, request: Buffer): (received: Buffer) => FrameCheck {
  const fc = request[0];
  const normal = answerLength(request) + 3;
  const isOurs = (bytes: Buffer) => bytes[0] === unitId && (bytes[1] === fc || bytes[1] === (fc | 0x80));
  const oursAt = (bytes: Buffer, at: number) => {
    const rest = bytes.subarray(at);
    if (rest.length < 5 || !isOurs(rest)) return false;
    const length = rest[1] & 0x80 ? 5 : normal;
    return rest.length >= length && crcOk(rest, length);
  };
  return (bytes) => {
    if (bytes.length < 2) return { kind: 'incomplete' };
    if (isOurs(bytes)) {
      const length = bytes[1] & 0x80 ? 5 : normal;
      if (bytes[1] === fc && fc <= 4 && bytes.length >= 3 && bytes[2] !== normal - 5) {
        return { kind: 'invalid', length: 1, reason: `an answer announcing ${bytes[2]} data bytes, not ${normal - 5}` };
      }
      if (bytes.length < length) return { kind: 'incomplete' };
      return crcOk(bytes, length) ? { kind: 'frame', length } : { kind: 'invalid', length: 1, reason: 'a frame with a bad CRC' };
    }
    const length = isUnitId(bytes[0]) ? answerFrameLength(bytes) : undefined;
    if (length !== undefined && length > 0 && bytes.length >= length && crcOk(bytes, length)) {
      return { kind: 'foreign', length, reason: `a frame from unit ${bytes[0]}` };
    }
    // A plausible start of another unit's frame may still be arriving: wait for it, unless our
    // answer is already complete further on.
    if (length !== undefined && (length === 0 || bytes.length < length)) {
      for (let at = 1; at < bytes.length; at++) if (oursAt(bytes, at)) return { kind: 'invalid', length: at, reason: `${at} bytes of noise` };
      return { kind: 'incomplete' };
    }
    return { kind: 'invalid', length: 1, reason: 'bytes that are no Modbus frame' };
  };
}

/**
 * A simulated unit's view of the line: the next request frame in `bytes` (for any unit), or bytes
 * to step over. The master is the only one that sends requests, so a bad CRC is noise: step one byte.
 */
export function requestCheck(bytes: Buffer): FrameCheck {
  if (bytes.length < 2) return { kind: 'incomplete' };
  const length = requestFrameLength(bytes);
  if (length === undefined) return { kind: 'invalid', length: 1, reason: 'no request function' };
  if (length === 0 || bytes.length < length) return { kind: 'incomplete' };
  return crcOk(bytes, length) ? { kind: 'frame', length } : { kind: 'invalid', length: 1, reason: 'a frame with a bad CRC' };
}
