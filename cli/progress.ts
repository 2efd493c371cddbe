// Progress of a long command on stderr: a bar redrawn in place with an ETA on a terminal, plain
// lines (start, notes, every 10 %) when stderr is a file or a pipe, so logs stay readable.

export interface ProgressOptions {
  total: number;
  stream?: NodeJS.WriteStream;
  /** Injected by tests; Date.now by default. */
  now?: () => number;
}

const BAR_WIDTH = 24;

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes >= 60
    ? `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
    : `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;
  private readonly started: number;
  private readonly tty: boolean;
  private lastDecile = 0;
  private drawn = false;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.tty = this.stream.isTTY === true;
  }

  /** Remaining time, from the average time per step so far. */
  eta(done: number): string {
    if (done === 0) return '?';
    const perStep = (this.now() - this.started) / done;
    return formatDuration(perStep * (this.opts.total - done));
  }

  /** `done` of `total` steps are complete; `status` says where we are. */
  update(done: number, status: string): void {
    const { total } = this.opts;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const tail = `${percent}% ${status}, ETA ${this.eta(done)}`;
    if (this.tty) {
      const filled = Math.round((BAR_WIDTH * done) / Math.max(total, 1));
      this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${tail}`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor(percent / 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${tail}\n`);
    }
  }

  /** A line that stays (a unit found, a phase starting), above the bar on a terminal. */
  note(line: string): void {
    this.stream.write(this.tty && this.drawn ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  /** Clears the bar so that what follows starts on a clean line. */
  end(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
