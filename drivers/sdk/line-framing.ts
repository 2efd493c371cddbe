// Line framing for ASCII instruments, pure: where a line ends (its terminator), what is noise (bytes
// outside printable ASCII around a line, empty lines), what is too long to be a line. Used two ways:
// as a ByteBus FrameCheck for one request/answer, and as a LineFramer over a stream of bytes.
import type { FrameCheck } from './types.js';

export interface LineFramingOptions {
  /** What ends a line, e.g. "\r\n". */
  terminator: string;
  /** Longest line accepted, bytes; more without a terminator is garbage. 1024 by default. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 1024;

/** Printable ASCII and tab: what a line of an ASCII instrument is made of. */
const isText = (byte: number) => (byte >= 0x20 && byte <= 0x7e) || byte === 0x09;

/** The text of a line without the noise at its ends; bytes inside it that are no text stay, so that a reason shows them. */
export function lineText(bytes: Uint8Array): string {
  let start = 0;
  let end = bytes.length;
  while (start < end && !isText(bytes[start]!)) start++;
  while (end > start && !isText(bytes[end - 1]!)) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** A line quoted for a message, shortened and with control bytes escaped. */
export function quoteLine(line: string, max = 60): string {
  const shown = line.length > max ? `${line.slice(0, max)}…` : line;
  return JSON.stringify(shown);
}

/**
 * A FrameCheck for one answer line: the first complete line `accept` takes (it returns undefined)
 * is the frame (its text is `lineText(frame)`); empty lines are stepped over as noise; a line `accept`
 * refuses is `invalid` with its reason (the bus keeps waiting; if no accepted line follows within
 * the timeout, the transaction fails as a bad frame with the first reason).
 */
export function lineCheck(options: LineFramingOptions, accept: (line: string) => string | undefined): (received: Buffer) => FrameCheck {
  const terminator = Buffer.from(options.terminator, 'latin1');
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return (received) => {
    const end = received.indexOf(terminator);
    if (end < 0) {
      if (received.length > max + terminator.length) return { kind: 'invalid', length: received.length, reason: `${received.length} bytes with no line terminator` };
      return { kind: 'incomplete' };
    }
    const length = end + terminator.length;
    const line = lineText(received.subarray(0, end));
    if (line === '') return { kind: 'foreign', length, reason: 'an empty line' };
    if (end > max) return { kind: 'invalid', length, reason: `a line of ${end} bytes, longer than ${max}` };
    const problem = accept(line);
    return problem === undefined ? { kind: 'frame', length } : { kind: 'invalid', length, reason: problem };
  };
}

/**
 * Complete lines out of a byte stream that may start mid-line, carry noise and cut lines anywhere.
 * What came before the first terminator is dropped (it may be the tail of a line begun before we
 * listened); a run longer than the limit with no terminator is dropped and counted.
 */
export class LineFramer {
  private readonly terminator: Buffer;
  private readonly max: number;
  private pending: Buffer = Buffer.alloc(0);
  private synced: boolean;
  /** Bytes thrown away as a line too long or as the partial line before the first terminator. */
  dropped = 0;

  constructor(options: LineFramingOptions & { synced?: boolean }) {
    this.terminator = Buffer.from(options.terminator, 'latin1');
    this.max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.synced = options.synced ?? false;
  }

  /** The lines these bytes complete (noise trimmed, empty lines left out), oldest first. */
  push(bytes: Uint8Array): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const end = this.pending.indexOf(this.terminator, start);
      if (end < 0) break;
      const chunk = this.pending.subarray(start, end);
      start = end + this.terminator.length;
      if (!this.synced) {
        this.synced = true;
        this.dropped += chunk.length;
        continue;
      }
      if (chunk.length > this.max) {
        this.dropped += chunk.length;
        continue;
      }
      const line = lineText(chunk);
      if (line !== '') lines.push(line);
    }
    this.pending = this.pending.subarray(start);
    if (this.pending.length > this.max + this.terminator.length) {
      // No terminator in sight: garbage, or a line we will only ever see the tail of.
      this.dropped += this.pending.length;
      this.pending = Buffer.alloc(0);
      this.synced = false;
    }
    return lines;
  }
}
