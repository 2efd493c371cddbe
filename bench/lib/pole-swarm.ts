// Many poles' MQTT connections in one process (a bench's load generator, forked so that its memory
// is not the cloud's): one raw socket a pole, a CONNECT with the pole's secret, PINGREQs to keep it
// alive, and, as a pole agent does, a jittered reconnect whenever the connection is lost.
// The parent sends { port, poles: [[id, secret], …], inFlight }; the swarm answers
// { connected, refused } every 200 ms and { outages } (ms from each lost connection to its CONNACK,
// and when each pole was back) when asked with 'report'.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

interface Start {
  port: number;
  poles: [string, string][];
  /** Connection attempts under way at once while filling up (a storm is not limited). */
  inFlight: number;
}

const KEEPALIVE_S = 60;
const PINGREQ = Buffer.from([0xc0, 0x00]);
const CONNACK = 0x20;
/** A pole agent's first reconnect delay (the uplink's backoff, jittered ±50 %). */
const RETRY_MS = 1000;

interface Pole {
  connect: Buffer;
  socket: net.Socket | undefined;
  up: boolean;
  downAt: number | undefined;
  backAt: number | undefined;
  outage: number | undefined;
}

let port = 0;
let refused = 0;
let connected = 0;
let filling = true;
const poles: Pole[] = [];
const queue: Pole[] = [];
let inFlight = 0;
let maxInFlight = 0;

function dial(pole: Pole): void {
  inFlight++;
  const socket = net.connect(port, '127.0.0.1');
  pole.socket = socket;
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    inFlight--;
    pump();
  };
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(pole.connect));
  socket.on('data', (d: Buffer) => {
    if (pole.up || d[0] !== CONNACK) return;
    settle();
    if (d[3] !== 0) {
      refused++;
      socket.destroy();
      return;
    }
    pole.up = true;
    connected++;
    if (pole.downAt !== undefined) {
      pole.backAt = Date.now();
      pole.outage = pole.backAt - pole.downAt;
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    settle();
    if (pole.up) {
      pole.up = false;
      connected--;
      pole.downAt = Date.now();
      pole.backAt = undefined;
    }
    setTimeout(() => schedule(pole), Math.round(RETRY_MS * (0.5 + Math.random())));
  });
}

function schedule(pole: Pole): void {
  if (filling) queue.push(pole);
  else dial(pole);
  pump();
}

function pump(): void {
  while (queue.length > 0 && inFlight < maxInFlight) dial(queue.shift()!);
  if (filling && queue.length === 0 && inFlight === 0) filling = false;
}

process.on('message', (message: Start | 'report') => {
  if (message === 'report') {
    process.send!({ outages: poles.map((p) => p.outage ?? null), backAt: poles.map((p) => p.backAt ?? null) });
    return;
  }
  port = message.port;
  maxInFlight = message.inFlight;
  for (const [id, secret] of message.poles) {
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: KEEPALIVE_S, clientId: id, username: id, password: Buffer.from(secret) });
    const pole: Pole = { connect, socket: undefined, up: false, downAt: undefined, backAt: undefined, outage: undefined };
    poles.push(pole);
    queue.push(pole);
  }
  pump();
  setInterval(() => process.send!({ connected, refused }), 200);
  // Keepalive: each pole pings about every 45 s, spread over the seconds.
  let turn = 0;
  setInterval(() => {
    for (let i = turn % 45; i < poles.length; i += 45) if (poles[i]!.up) poles[i]!.socket!.write(PINGREQ);
    turn++;
  }, 1000);
});
