// RTU framing and PDUs, pure: CRC, finding the answer among noise and other units' frames, and the
// requests and answers the driver and the simulator exchange.
import t from 'tap';
import { crc16 } from '../../../drivers/sdk/index.js';
import { answerCheck, pduOf, requestCheck, rtuFrame } from '../../../drivers/modbus/rtu-frame.js';
import { parseAnswer, readRequest, serveRequest, writeCoilRequest, writeRegistersRequest, type RegisterAccess } from '../../../drivers/modbus/pdu.js';
import { ModbusException } from '../../../drivers/modbus/modbus-client.js';

t.test('CRC-16/MODBUS and frames as the field tools write them', async (t) => {
  t.equal(crc16(Buffer.from('123456789')), 0x4b37, 'the standard check value');
  t.same([...rtuFrame(1, readRequest('holding', 0, 1))], [0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a], 'read 1 holding register of unit 1');
  t.same([...rtuFrame(17, writeRegistersRequest(1, [0x000a, 0x0102]))], [0x11, 0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0a, 0x01, 0x02, 0xc6, 0xf0], 'FC16 example of the spec');
  t.same([...writeCoilRequest(172, true)], [0x05, 0x00, 0xac, 0xff, 0x00]);
});

const request = readRequest('holding', 0, 2);
const answer = rtuFrame(5, Buffer.from([3, 4, 0x12, 0x34, 0x56, 0x78]));

t.test('the answer check finds the unit\'s answer and steps over everything else', async (t) => {
  const check = answerCheck(5, request);
  t.same(check(answer.subarray(0, 4)), { kind: 'incomplete' }, 'a partial answer waits');
  t.same(check(answer), { kind: 'frame', length: 9 });
  t.same(check(rtuFrame(5, Buffer.from([0x83, 2]))), { kind: 'frame', length: 5 }, 'an exception answer is an answer');
  const bad = Buffer.from(answer);
  bad[8] ^= 0xff;
  t.match(check(bad), { kind: 'invalid', length: 1, reason: 'a frame with a bad CRC' });
  t.match(check(rtuFrame(6, Buffer.from([3, 4, 0, 0, 0, 0]))), { kind: 'foreign', length: 9, reason: 'a frame from unit 6' }, 'another unit (wrong id, or a late answer) is skipped whole');
  t.match(check(Buffer.from([0x00, 0xff, 0xaa])), { kind: 'invalid', length: 1, reason: 'bytes that are no Modbus frame' });
  t.match(check(rtuFrame(5, Buffer.from([3, 2, 0, 0]))), { kind: 'invalid', reason: 'an answer announcing 2 data bytes, not 4' });
  // Noise that looks like the start of another unit's long answer must not hide ours behind it.
  const noisy = Buffer.concat([Buffer.from([0x09, 0x03, 0xf0]), answer]);
  t.match(check(noisy), { kind: 'invalid', length: 3 }, 'our complete answer further on wins');
});

t.test('the request check splits the master\'s frames and drops noise', async (t) => {
  const frame = rtuFrame(3, writeRegistersRequest(0, [1, 2, 3]));
  t.same(requestCheck(frame.subarray(0, 6)), { kind: 'incomplete' });
  t.same(requestCheck(frame), { kind: 'frame', length: frame.length });
  t.match(requestCheck(Buffer.from([1, 0x44, 0, 0])), { kind: 'invalid', length: 1 });
  const bad = Buffer.from(rtuFrame(1, readRequest('input', 0, 1)));
  bad[7] ^= 1;
  t.match(requestCheck(bad), { kind: 'invalid', length: 1, reason: 'a frame with a bad CRC' });
});

t.test('what a simulated unit answers is what the driver parses', async (t) => {
  const memory: Record<string, number[]> = { holding: [10, 20, 30], input: [7], coil: [1, 0, 1, 1, 0, 0, 0, 0, 1], discrete: [0, 1] };
  const registers: RegisterAccess = {
    read(table, address, count) {
      if (address + count > memory[table]!.length) throw Object.assign(new Error('no'), { modbusErrorCode: 2 });
      return memory[table]!.slice(address, address + count);
    },
    write(table, address, words) {
      memory[table]!.splice(address, words.length, ...words);
    },
  };
  const roundTrip = (req: Buffer) => parseAnswer(req, pduOf(rtuFrame(1, serveRequest(req, registers))));
  t.same(roundTrip(readRequest('holding', 1, 2)), [20, 30]);
  t.same(roundTrip(readRequest('input', 0, 1)), [7]);
  t.same(roundTrip(readRequest('coil', 0, 9)), [1, 0, 1, 1, 0, 0, 0, 0, 1], 'bits across two bytes');
  t.same(roundTrip(readRequest('discrete', 0, 2)), [0, 1]);
  t.same(roundTrip(writeRegistersRequest(0, [99, 98])), []);
  t.same(roundTrip(writeRegistersRequest(2, [5])), []);
  t.same(roundTrip(writeCoilRequest(1, true)), []);
  t.same([memory.holding, memory.coil!.slice(0, 2)], [[99, 98, 5], [1, 1]]);
  t.throws(() => roundTrip(readRequest('holding', 2, 5)), new ModbusException(2));
  t.throws(() => roundTrip(Buffer.from([0x2b, 0, 0, 0, 0])), /Modbus exception 1 \(illegal function\)/);
  t.throws(() => parseAnswer(readRequest('holding', 0, 2), Buffer.from([3, 2, 0, 0])), /answer to function 3 has function 3 and 4 bytes, expected 6/);
});
