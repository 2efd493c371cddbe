// Raw MQTT over a TCP socket, for probes that a well-behaved client library refuses to send.
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface RawClient {
  socket: net.Socket;
  /** Resolves when the server has closed (or reset) the connection. */
  closed: Promise<void>;
  /** Packets received, decoded. */
  packets: Packet[];
  send(packet: Packet): void;
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const packets: Packet[] = [];
    const parser = mqttPacket.parser();
    parser.on('packet', (p: Packet) => packets.push(p));
    parser.on('error', () => socket.destroy());
    socket.on('data', (d) => parser.parse(d));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, packets, send: (p) => socket.write(mqttPacket.generate(p)) }));
    socket.once('error', reject);
  });
}

export function connectPacket(clientId: string, username?: string, password?: string): Packet {
  return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId, ...(username ? { username, password: Buffer.from(password ?? '') } : {}) } as Packet;
}

/**
 * Writes `bytes` after `header` as fast as the socket takes them until the server closes it.
 * Resolves with how many bytes the socket accepted.
 */
export async function stream(client: RawClient, header: Buffer, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  let open = true;
  void client.closed.then(() => (open = false));
  client.socket.write(header);
  while (open && sent < bytes) {
    if (!client.socket.write(chunk)) {
      await Promise.race([new Promise((r) => client.socket.once('drain', r)), client.closed]);
    }
    sent += chunk.length;
  }
  return sent;
}
