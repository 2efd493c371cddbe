// The Modbus TCP client against a device that misbehaves on a real socket: late answers, answers cut
// into pieces or run together, answers that do not fit their request, bytes that are not MBAP, and a
// device that hangs up mid-transaction. (Well-behaved peers: driver.test.ts with the simulator,
// test/peers/pymodbus.test.ts with pymodbus.)
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { PolegateError } from '../../../config/errors.js';
import { MbapClient } from '../../../drivers/modbus/mbap-client.js';
import { ModbusException } from '../../../drivers/modbus/modbus-client.js';
import { serveRequest } from '../../../drivers/modbus/pdu.js';

/** Holding register n holds 1000 + n. */
const registers = {
  read: (_table: string, address: number, count: number) => Array.from({ length: count }, (_, i) => 1000 + address + i),
  write: () => undefined,
};

interface Request {
  frame: Buffer;
  /** The well-formed answer frame (same transaction id). */
  answer: Buffer;
}

/** A TCP device that hands each request to `onRequest`, which decides what goes back and when. */
async function device(t: Test, onRequest: (socket: net.Socket, request: Request) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 7 && buffered.length >= 6 + buffered.readUInt16BE(4)) {
        const frame = buffered.subarray(0, 6 + buffered.readUInt16BE(4));
        buffered = buffered.subarray(frame.length);
        const pdu = serveRequest(frame.subarray(7), registers);
        const answer = Buffer.concat([Buffer.alloc(7), pdu]);
        frame.copy(answer, 0, 0, 7);
        answer.writeUInt16BE(pdu.length + 1, 4);
        onRequest(socket, { frame, answer });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

async function client(t: Test, port: number, timeoutMs = 300): Promise<MbapClient> {
  const c = new MbapClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs });
  await c.connect();
  t.teardown(() => c.close());
  return c;
}

t.test('a late answer is dropped, not taken for the next request', async (t) => {
  let first: Request | undefined;
  const port = await device(t, (socket, request) => {
    if (!first) first = request; // held back past the timeout
    else {
      socket.write(first.answer); // the late answer arrives first...
      socket.write(request.answer); // ...then the right one
    }
  });
  const c = await client(t, port, 100);
  await t.rejects(c.read('holding', 10, 2), /Timed out after 100 ms/);
  t.same(await c.read('holding', 20, 2), [1020, 1021], 'the answer to this request, not the late one to holding 10');
  t.ok(c.connected, 'the connection is kept');
});

t.test('answers cut into single bytes, and two answers in one segment, are framed right', async (t) => {
  let held: Buffer | undefined;
  const port = await device(t, (socket, { answer }) => {
    if (answer.readUInt16BE(0) === 1) {
      for (const byte of answer) socket.write(Buffer.from([byte]));
    } else if (!held) held = answer;
    else socket.write(Buffer.concat([held, answer]));
  });
  const c = await client(t, port);
  t.same(await c.read('holding', 0, 3), [1000, 1001, 1002]);
  // Calls queue: the second goes out only when the first is answered, so this device, which answers
  // the 2nd request only with the 3rd, makes the 2nd time out; the 3rd gets its own answer.
  const second = c.read('holding', 5, 1);
  const third = c.read('holding', 7, 1);
  await t.rejects(second, /Timed out/);
  t.same(await third, [1007]);
});

t.test('an answer that does not fit its request is a bad frame; the link stays up', async (t) => {
  let n = 0;
  const port = await device(t, (socket, { answer }) => {
    n++;
    if (n === 1) {
      const short = Buffer.from(answer.subarray(0, answer.length - 2));
      short.writeUInt16BE(short.length - 6, 4);
      short[8] -= 2;
      socket.write(short);
    } else socket.write(answer);
  });
  const c = await client(t, port);
  const err = await c.read('holding', 0, 2).catch((e: unknown) => e);
  t.ok(err instanceof PolegateError && err.code === 'BUS_BAD_FRAME', 'BUS_BAD_FRAME');
  t.match((err as Error).message, /4 bytes, expected 6/);
  t.same(await c.read('holding', 0, 2), [1000, 1001], 'the next request is answered on the same connection');
});

t.test('a Modbus exception answer is a refusal by name', async (t) => {
  const port = await device(t, (socket, { frame }) => {
    const answer = Buffer.from(frame.subarray(0, 9));
    answer.writeUInt16BE(3, 4);
    answer[7] = frame[7]! | 0x80;
    answer[8] = 2;
    socket.write(answer);
  });
  const c = await client(t, port);
  const err = await c.read('holding', 0, 2).catch((e: unknown) => e);
  t.ok(err instanceof ModbusException, 'ModbusException');
  t.match((err as Error).message, /illegal data address/);
});

t.test('bytes that are not MBAP drop the connection with a clear error', async (t) => {
  const port = await device(t, (socket) => socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
  const c = await client(t, port);
  await t.rejects(c.read('holding', 0, 1), /not a Modbus TCP frame/);
  t.notOk(c.connected, 'disconnected: the next call must reconnect');
  await t.rejects(c.read('holding', 0, 1), /connection lost/);
});

t.test('a device that hangs up mid-transaction fails the call at once', async (t) => {
  const port = await device(t, (socket) => socket.destroy());
  const c = await client(t, port, 5000);
  const started = Date.now();
  await t.rejects(c.read('holding', 0, 1), /connection closed by the device/);
  t.ok(Date.now() - started < 4000, 'without waiting for the timeout');
  t.notOk(c.connected);
});

t.test('a refused connection fails connect() clearly', async (t) => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  await t.rejects(new MbapClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 500 }).connect(), /ECONNREFUSED/);
});
