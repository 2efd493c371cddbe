// What an MQTT connection may cost the cloud before and after it authenticates. aedes buffers a
// whole packet before it looks at it, so a CONNECT declaring 256 MiB would be held in memory; the
// guard reads each packet's fixed header as the bytes go by and closes the socket as soon as a
// declared length is over the limit. Until a client has authenticated it may send only a few KiB
// in all, and only for so long. The broker sees a connection only once its first fixed header has
// been read and is a CONNECT a login could be: a socket that opens with anything else costs the
// cloud its socket and a few bytes, not an aedes client with its parser and buffers (hostile
// sockets come by the thousand a second).
import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

export interface ConnectionLimits {
  /** Largest MQTT packet (fixed header excluded) a client may declare. */
  maxPacketBytes: number;
  /** Time from TCP accept to a successful authentication. */
  connectTimeoutMs: number;
  /** Open connections on one listener; more are refused at accept. */
  maxConnections: number;
}

/** Room for a CONNECT with credentials and a will (a pole's will is its `state`, ~100 bytes). */
export const MAX_UNAUTHENTICATED_BYTES = 64 * 1024;

/**
 * Finds the remaining length of each MQTT packet in a byte stream, chunk by chunk, skipping the
 * bodies. Returns the first declared length over `max` (as soon as its one to four bytes are read), -1 for a
 * length field longer than MQTT's four bytes, or undefined while all is well.
 */
export class PacketLengthScanner {
  private skip = 0;
  private inLength = false;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly max: number) {}

  scan(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - i);
        this.skip -= take;
        i += take;
      } else if (!this.inLength) {
        // The packet type byte.
        this.inLength = true;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        i++;
      } else {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return -1;
        } else {
          if (this.length > this.max) return this.length;
          this.inLength = false;
          this.skip = this.length;
        }
      }
    }
    return undefined;
  }
}

/** The first packet's type byte and declared length, once its fixed header is in `bytes`. */
export function firstFixedHeader(bytes: Uint8Array): { type: number; length: number } | 'incomplete' | 'malformed' {
  let length = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= bytes.length) return 'incomplete';
    length += (bytes[i]! & 0x7f) * 128 ** (i - 1);
    if ((bytes[i]! & 0x80) === 0) return { type: bytes[0]!, length };
  }
  return 'malformed';
}

/** MQTT 3.1.1's CONNECT type byte (type 1, flags 0). */
const CONNECT = 0x10;

const overUnauthenticated = `over ${MAX_UNAUTHENTICATED_BYTES} bytes sent before authentication`;

function overLimit(declared: number, listener: string, limits: ConnectionLimits): string {
  return `packet of ${declared} bytes declared, over ${listener}.maxPacketBytes ${limits.maxPacketBytes}`;
}

interface Guarded {
  authenticated: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectionGuard {
  private readonly state = new WeakMap<object, Guarded>();
  private lastDropLog = 0;

  constructor(private readonly log: Logger) {}

  /** Wraps a broker's connection handler. */
  handler(handle: (conn: Duplex, req?: IncomingMessage) => unknown, listener: string, limits: ConnectionLimits): (conn: Duplex, req?: IncomingMessage) => void {
    return (conn, req) => {
      const address = (conn as { remoteAddress?: string }).remoteAddress ?? req?.socket.remoteAddress;
      const guarded: Guarded = { authenticated: false, timer: undefined };
      this.state.set(conn, guarded);
      const refuse = (reason: string) => {
        this.log.warn({ listener, address, reason }, 'connection closed');
        conn.destroy();
      };
      guarded.timer = setTimeout(() => refuse(`not authenticated within ${limits.connectTimeoutMs} ms`), limits.connectTimeoutMs);
      guarded.timer.unref();
      conn.once('close', () => clearTimeout(guarded.timer));
      // Until the first fixed header is in, the bytes are read here and put back for the broker;
      // a reset meanwhile must not be an unhandled 'error' (the broker listens once it has it).
      const reset = () => conn.destroy();
      conn.on('error', reset);
      const head: Buffer[] = [];
      const untilConnect = () => {
        for (let chunk: Buffer | null; !conn.destroyed && (chunk = conn.read()) !== null;) {
          head.push(chunk);
          const header = firstFixedHeader(Buffer.concat(head));
          if (header === 'incomplete') continue;
          conn.removeListener('readable', untilConnect);
          if (header === 'malformed') return refuse('malformed packet length');
          if (header.type !== CONNECT) return refuse(`first packet of type byte 0x${header.type.toString(16)}, not CONNECT`);
          if (header.length > limits.maxPacketBytes) return refuse(overLimit(header.length, listener, limits));
          if (header.length > MAX_UNAUTHENTICATED_BYTES) return refuse(overUnauthenticated);
          conn.removeListener('error', reset);
          conn.unshift(Buffer.concat(head));
          this.watch(conn, guarded, listener, limits, refuse);
          handle(conn, req);
          return;
        }
      };
      conn.on('readable', untilConnect);
    };
  }

  /**
   * Checks every packet's declared length, and the bytes sent before login. The stream's `read` is
   * where aedes takes its bytes (in paused and in flowing mode), so checking there keeps aedes'
   * backpressure as it is.
   */
  private watch(conn: Duplex, guarded: Guarded, listener: string, limits: ConnectionLimits, refuse: (reason: string) => void): void {
    const scanner = new PacketLengthScanner(limits.maxPacketBytes);
    let unauthenticatedBytes = 0;
    const read = conn.read.bind(conn);
    conn.read = (size?: number) => {
      const chunk: Buffer | null = read(size);
      if (chunk === null || conn.destroyed) return chunk;
      const declared = scanner.scan(chunk);
      if (declared !== undefined) {
        refuse(declared < 0 ? 'malformed packet length' : overLimit(declared, listener, limits));
        return null;
      }
      if (!guarded.authenticated && (unauthenticatedBytes += chunk.length) > MAX_UNAUTHENTICATED_BYTES) {
        refuse(overUnauthenticated);
        return null;
      }
      return chunk;
    };
  }

  /** Called once the broker has accepted the client's credentials. */
  authenticated(conn: object): void {
    const guarded = this.state.get(conn);
    if (!guarded) return;
    guarded.authenticated = true;
    clearTimeout(guarded.timer);
  }

  /** Caps a listener's open connections; refusals are logged at most every 10 s. */
  cap(server: Server, listener: string, limits: ConnectionLimits): void {
    server.maxConnections = limits.maxConnections;
    let dropped = 0;
    server.on('drop', () => {
      dropped++;
      if (Date.now() - this.lastDropLog < 10_000) return;
      this.lastDropLog = Date.now();
      this.log.warn({ listener, maxConnections: limits.maxConnections, dropped }, 'connection refused: too many open connections');
    });
  }
}
