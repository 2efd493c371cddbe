// One Modbus TCP connection to one unit: the PDUs of pdu.ts in MBAP frames (transaction id,
// protocol 0, length, unit id). One transaction at a time — many field devices and gateways
// mishandle pipelined requests — each with the device's timeout. An answer is matched by its
// transaction id, so a late answer to a request that timed out is dropped, never taken for the next.
// The same PDU codec serves RTU (rtu-client.ts): only the framing differs. The agent speaks MBAP
// itself rather than through modbus-serial, whose client loads every transport it supports
// (serialport's native binding, UDP, telnet) into each pole's memory.
import type net from 'node:net';
import { connectTcp, PolegateError } from '../sdk/index.js';
import { ModbusException } from './modbus-client.js';
import { parseAnswer } from './pdu.js';
import { PduClient } from './pdu-client.js';

export interface TcpTarget {
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
}

const MBAP_BYTES = 7;
/** MBAP length counts the unit id and the PDU; a PDU is at most 253 bytes. */
const MAX_MBAP_LENGTH = 254;
const EMPTY = Buffer.alloc(0);

interface Transaction {
  id: number;
  request: Buffer;
  resolve: (words: number[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class MbapClient extends PduClient {
  private socket: net.Socket | undefined;
  /**
   * Answers are read into this one buffer (net's `onread`): no Buffer, no stream machinery and no
   * 'data' event per answer, which is a good part of the agent's work on an idle pole.
   */
  private readonly inbox = Buffer.allocUnsafe(MBAP_BYTES - 1 + MAX_MBAP_LENGTH);
  /** Bytes of a frame not complete yet (a copy: the inbox is overwritten by the next read). */
  private received = EMPTY;
  private nextId = 0;
  private pending: Transaction | undefined;
  /** Calls wait here for the one before them: one transaction on the wire at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly target: TcpTarget) {
    super();
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  async connect(): Promise<void> {
    this.drop(new Error('reconnecting'));
    const { host, port, timeoutMs } = this.target;
    const onread = {
      buffer: this.inbox,
      callback: (bytes: number) => {
        this.onData(this.inbox.subarray(0, bytes));
        return true;
      },
    };
    const socket = await connectTcp({ host, port, onread }, timeoutMs);
    socket.once('close', () => {
      if (this.socket === socket) this.drop(new Error('connection closed by the device'));
    });
    this.socket = socket;
  }

  close(): void {
    this.drop(new Error('connection closed'));
  }

  protected call(request: Buffer): Promise<number[]> {
    const turn = this.queue.then(() => this.transact(request));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private transact(request: Buffer): Promise<number[]> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('connection lost'));
    const id = (this.nextId = (this.nextId + 1) & 0xffff);
    const frame = Buffer.allocUnsafe(MBAP_BYTES + request.length);
    frame.writeUInt16BE(id, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(request.length + 1, 4);
    frame[6] = this.target.unitId;
    request.copy(frame, MBAP_BYTES);
    return new Promise((resolve, reject) => {
      // A late answer to this request carries this id: once the timeout settled it, onData drops it.
      const timer = setTimeout(() => this.settle(new Error(`Timed out after ${this.target.timeoutMs} ms`)), this.target.timeoutMs);
      this.pending = { id, request, resolve, reject, timer };
      socket.write(frame);
    });
  }

  /** An answer's bytes; only the current socket reads (drop destroys the one before). */
  private onData(chunk: Buffer): void {
    let data = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (data.length >= MBAP_BYTES) {
      const length = data.readUInt16BE(4);
      if (data.readUInt16BE(2) !== 0 || length < 2 || length > MAX_MBAP_LENGTH) {
        // Not MBAP (or out of step): nothing after it can be trusted.
        this.drop(new Error('the device sent bytes that are not a Modbus TCP frame'));
        return;
      }
      const end = MBAP_BYTES - 1 + length;
      if (data.length < end) break;
      const id = data.readUInt16BE(0);
      const pdu = data.subarray(MBAP_BYTES, end);
      data = data.subarray(end);
      // The answer is decoded before this returns, while the inbox still holds it.
      if (this.pending?.id === id) this.answer(pdu);
    }
    this.received = data.length === 0 ? EMPTY : Buffer.from(data);
  }

  private answer(pdu: Buffer): void {
    const { request } = this.pending!;
    let words: number[];
    try {
      words = parseAnswer(request, pdu);
    } catch (err) {
      // A refusal (ModbusException) passes as it is; an answer that does not fit its request is a
      // malformed frame: its samples are bad, the link is fine.
      this.settle(err instanceof ModbusException ? err : new PolegateError((err as Error).message, 'BUS_BAD_FRAME'));
      return;
    }
    this.settle(undefined, words);
  }

  private settle(err: Error | undefined, words: number[] = []): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve(words);
  }

  private drop(reason: Error): void {
    // destroy, not end: a half-dead peer must not keep us waiting for a FIN.
    this.socket?.destroy();
    this.socket = undefined;
    this.received = EMPTY;
    this.settle(reason);
  }
}
