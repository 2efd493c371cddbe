// Turning failures into one clear line and an exit code (0 ok, 1 runtime failure, 2 bad input).
import { CommanderError } from 'commander';
import { PolegateError } from '../config/errors.js';

export function reportFailure(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help / version).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof PolegateError) {
    process.stderr.write(`polegate: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`polegate: internal error: ${message}\n`);
  if (process.env.POLEGATE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('polegate: set POLEGATE_DEBUG=1 for details, and please report this as a bug.\n');
  return 1;
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM), once. */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
