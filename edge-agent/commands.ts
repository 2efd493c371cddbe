// Commands from the platform (contract `cmd` → `cmd/result`, docs/contract.md "Commands"). Each
// payload is validated against the contract; a command with an id always gets one answer. QoS 1 may
// deliver a command twice: a repeated id is answered again with the first result, never run twice.
import { PolegateError } from '../config/errors.js';
import type { Profile } from '../config/profile-schema.js';
import type { CommandPayload, CommandResultPayload } from '../contract/schemas.js';
import type { Clock, Driver, Logger } from '../drivers/sdk/types.js';
import type { NormalizedReading } from './reading.js';

import type { ApplyConfigArgs, CommandName, WriteArgs } from './command-checks.js';
import type { LogLevel } from './log-level.js';
import { CommandError } from './command-error.js';

export type { CommandErrorCode } from './command-error.js';
type Checks = typeof import('./command-checks.js');

/** What the agent lends the command runner. */
export interface CommandHost {
  clock: Clock;
  log: Logger;
  /** The pole's devices: the driver once created, and the Modbus profile when there is one. */
  device(id: string): { driver: Driver | undefined; profile?: Profile } | undefined;
  /** Polls one device now; resolves with its readings, rejects on a failed poll. */
  poll(device: string): Promise<NormalizedReading[]>;
  deviceIds(): string[];
  setPollMs(device: string, pollMs: number): void;
  rebirth(): void;
  /** Takes, keeps and announces a snapshot of the device; resolves with its blob ref and size. */
  snapshot(device: string): Promise<{ snapshot: string; size: number }>;
  /** Closes the device's driver and opens a new one; resolves with the first poll's readings. */
  restartDevice(device: string): Promise<NormalizedReading[]>;
  setLogLevel(level: LogLevel, forMs?: number): unknown;
  /** Applies a new manifest (config-apply.ts); absent where the agent runs without a manifest file. */
  applyConfig?(args: ApplyConfigArgs): Promise<unknown>;
  /** Publishes a cmd/result payload (QoS 1); false when the uplink is down and it was not sent. */
  publish(result: string): boolean;
}

/** Results kept for repeated ids: enough for any redelivery window, bounded memory. */
const REMEMBERED = 1000;

export class CommandRunner {
  /** id → the result (or the run in progress) of each command seen lately, oldest first. */
  private readonly seen = new Map<string, Promise<CommandResultPayload>>();

  private checks: Promise<Checks> | undefined;

  constructor(private readonly host: CommandHost) {}

  /** One `cmd` message from the broker. Never throws: whatever arrives, the agent runs on. */
  async handle(payload: Buffer): Promise<void> {
    const checks = await (this.checks ??= import('./command-checks.js'));
    const decoded = checks.decodePayload<CommandPayload>('cmd', payload);
    if (!decoded.ok) {
      const id = idOf(payload);
      if (id === undefined) {
        this.host.log.warn({ reason: decoded.reason, bytes: payload.length }, 'dropped a cmd without an id: nobody to answer');
        return;
      }
      await this.answer(Promise.resolve(failure(id, new CommandError('BAD_COMMAND', `not a valid cmd payload: ${decoded.reason}`))));
      return;
    }
    const command = decoded.value;
    // Not its args: a manifest or a written value is the platform's business, not the log's.
    this.host.log.debug({ id: command.id, name: command.name }, 'cmd received');
    let run = this.seen.get(command.id);
    if (run) {
      this.host.log.info({ id: command.id, name: command.name }, 'repeated cmd id: answering again, not running it twice');
    } else {
      run = this.run(command, checks);
      this.remember(command.id, run);
    }
    await this.answer(run);
  }

  private remember(id: string, run: Promise<CommandResultPayload>): void {
    this.seen.set(id, run);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
  }

  private async answer(run: Promise<CommandResultPayload>): Promise<void> {
    const result = await run;
    if (!this.host.publish(JSON.stringify(result))) this.host.log.warn({ id: result.id }, 'uplink down: cmd/result not sent');
  }

  private async run(command: CommandPayload, { ARGS, argsOf }: Checks): Promise<CommandResultPayload> {
    const { id, name, args, expiresAt } = command;
    try {
      if (expiresAt !== undefined && this.host.clock.now() > expiresAt) {
        throw new CommandError('EXPIRED', `${name} expired at ${new Date(expiresAt).toISOString()}; not run`);
      }
      if (!Object.hasOwn(ARGS, name)) throw new CommandError('UNSUPPORTED', `this pole does not run ${name} (it runs ${Object.keys(ARGS).join(', ')})`);
      const result = await this.execute(name as CommandName, args, argsOf);
      this.host.log.info({ id, name }, 'cmd done');
      return { v: 1, id, ok: true, ...(result === undefined ? {} : { result }) };
    } catch (err) {
      const refused = err instanceof CommandError ? err : new CommandError('DEVICE_ERROR', (err as Error).message ?? String(err));
      this.host.log.warn({ id, name, code: refused.code, err: refused.message }, 'cmd failed');
      return failure(id, refused);
    }
  }

  private async execute(name: CommandName, raw: unknown, argsOf: Checks['argsOf']): Promise<unknown> {
    switch (name) {
      case 'write': return this.write(argsOf('write', raw));
      case 'poll': {
        const { device } = argsOf('poll', raw);
        const ids = device === undefined ? this.host.deviceIds() : [this.known(device)];
        const polls = await Promise.allSettled(ids.map((id) => this.host.poll(id)));
        const failed = polls.flatMap((p, i) => (p.status === 'rejected' ? [{ device: ids[i]!, message: (p.reason as Error).message }] : []));
        if (device !== undefined && failed.length > 0) throw new CommandError('DEVICE_ERROR', failed[0]!.message);
        return { readings: polls.flatMap((p) => (p.status === 'fulfilled' ? p.value : [])), ...(failed.length > 0 ? { failed } : {}) };
      }
      case 'set-interval': {
        const { device, pollMs } = argsOf('set-interval', raw);
        this.host.setPollMs(this.known(device), pollMs);
        return { device, pollMs };
      }
      case 'rebirth':
        argsOf('rebirth', raw);
        this.host.rebirth();
        return undefined;
      case 'snapshot': {
        const { device: id } = argsOf('snapshot', raw);
        const { driver } = this.host.device(this.known(id))!;
        if (!driver) throw new CommandError('DEVICE_ERROR', `device ${id} has not connected yet; try again when it is online`);
        if (!driver.snapshot) throw new CommandError('UNSUPPORTED', `the driver of device ${id} takes no snapshots`);
        return { device: id, ...(await this.host.snapshot(id)) };
      }
      case 'restart-device': {
        const { device } = argsOf('restart-device', raw);
        return { device, readings: await this.host.restartDevice(this.known(device)) };
      }
      case 'set-log-level': {
        const { level, forMs } = argsOf('set-log-level', raw);
        return this.host.setLogLevel(level, forMs);
      }
      case 'apply-config': {
        const args = argsOf('apply-config', raw);
        if (!this.host.applyConfig) throw new CommandError('UNSUPPORTED', 'this agent was not started from a manifest file (polegate edge --config), so it has none to replace');
        return this.host.applyConfig(args);
      }
    }
  }

  private known(device: string): string {
    if (!this.host.device(device)) throw new CommandError('UNKNOWN_DEVICE', `no device ${device} on this pole (devices: ${this.host.deviceIds().join(', ')})`);
    return device;
  }

  private async write({ device: id, metric, value }: WriteArgs): Promise<unknown> {
    const device = this.host.device(this.known(id))!;
    const { driver, profile } = device;
    // The profile says what may be written, before the device is touched: a refusal names the reason.
    if (profile) {
      const entry = profile.metrics.find((m) => m.name === metric);
      if (!entry) throw new CommandError('UNKNOWN_METRIC', `no metric ${metric} on device ${id} (profile ${profile.name})`);
      if (entry.table === 'input' || entry.table === 'discrete') throw new CommandError('READ_ONLY', `${id}.${metric} is in the ${entry.table} table, which is read-only`);
      if (entry.writable !== true) throw new CommandError('READ_ONLY', `${id}.${metric} is not writable: profile ${profile.name} does not mark it writable: true`);
    }
    if (!driver) throw new CommandError('DEVICE_ERROR', `device ${id} has not connected yet; try again when it is online`);
    if (!driver.write) throw new CommandError('UNSUPPORTED', `the driver of device ${id} cannot write`);
    if (!profile && !driver.describe().metrics.some((m) => m.name === metric)) throw new CommandError('UNKNOWN_METRIC', `no metric ${metric} on device ${id}`);
    try {
      await driver.write(metric, value);
    } catch (err) {
      // Exit code 2 is bad input: the driver refused the value before sending anything.
      const badValue = err instanceof PolegateError && err.exitCode === 2;
      throw new CommandError(badValue ? 'BAD_VALUE' : 'DEVICE_ERROR', (err as Error).message);
    }
    return { device: id, metric, value };
  }
}

function failure(id: string, err: CommandError): CommandResultPayload {
  return { v: 1, id, ok: false, error: { code: err.code, message: err.message } };
}

/** The id of a payload that is not a valid cmd, if it has a usable one. */
function idOf(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
  } catch {
    return undefined;
  }
}
