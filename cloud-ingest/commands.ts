// Commands from the API to poles. Each is stored first (pending), then published to the pole's
// cmd topic if the pole is online. Poles connect with clean sessions, so the broker keeps nothing
// for an offline pole: the cloud holds the command instead and publishes every pending,
// unexpired one when the pole's presence turns online (the pole subscribes to cmd before it
// publishes that state, so the subscription is in place). A pole that went away unseen (its
// will not yet processed) may miss a publish; the command stays pending and goes out again at its
// next online. A command can thus reach a pole twice: the agent answers a repeated id without
// running it again. A command past its expiry is never published, and the agent refuses one
// that expires on the way (its EXPIRED answer makes the command expired, see store/commands.ts).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CommandPayload, CommandResultPayload } from '../contract/schemas.js';
import { topicFor } from '../contract/topics.js';
import type { CommandRecord } from './store/commands.js';
import type { Store } from './store/store.js';

/** Publishes a payload to a topic at QoS 1 (the broker's publish). */
export type Publish = (topic: string, payload: Buffer) => Promise<void>;

export const DEFAULT_COMMAND_EXPIRY_MS = 5 * 60_000;
export const MAX_COMMAND_EXPIRY_MS = 24 * 60 * 60_000;

export interface CommandsOptions {
  store: Store;
  topicRoot: string;
  publish: Publish;
  log: Logger;
  now?: () => number;
}

/** Emits 'command' (CommandRecord) when a command is created and when its result is stored. */
export class Commands extends EventEmitter {
  readonly now: () => number;

  constructor(private readonly options: CommandsOptions) {
    super();
    this.now = options.now ?? Date.now;
  }

  /** Stores a new command for `pole` and sends it now if the pole is online. */
  async send(pole: string, name: string, args: Record<string, unknown>, expiresInMs = DEFAULT_COMMAND_EXPIRY_MS): Promise<CommandRecord> {
    const createdAt = this.now();
    const command = { id: randomUUID(), pole, name, args, createdAt, expiresAt: createdAt + expiresInMs };
    await this.options.store.addCommand(command);
    const record: CommandRecord = { ...command, status: 'pending' };
    this.emit('command', record);
    if ((await this.options.store.getPole(pole))?.state === 'online') await this.publish(record);
    else this.options.log.info({ pole, id: record.id, name }, 'pole offline: command held until it comes online');
    return record;
  }

  /** The pole came online: sends what waits for it. */
  async online(pole: string): Promise<void> {
    for (const command of await this.options.store.pendingCommands(pole, this.now())) await this.publish(command);
  }

  /** Stores the pole's answer (ingest's 'command-result'). */
  async result(pole: string, result: CommandResultPayload): Promise<void> {
    if (!(await this.options.store.commandResult(pole, result))) {
      this.options.log.warn({ pole, id: result.id }, 'cmd/result for no pending command of this pole; ignored');
      return;
    }
    const record = await this.options.store.getCommand(result.id, this.now());
    if (record) this.emit('command', record);
  }

  private async publish(command: CommandRecord): Promise<void> {
    if (command.expiresAt <= this.now()) return;
    const payload: CommandPayload = { v: 1, id: command.id, name: command.name, args: command.args, expiresAt: command.expiresAt };
    try {
      await this.options.publish(topicFor(this.options.topicRoot, command.pole, 'cmd'), Buffer.from(JSON.stringify(payload)));
    } catch (err) {
      // Still pending: it goes out again when the pole next comes online.
      this.options.log.warn({ pole: command.pole, id: command.id, err: (err as Error).message }, 'command publish failed; kept pending');
    }
  }
}
