// `polegate edge` as a process that can change its manifest (the `apply-config` command; docs/contract.md,
// "apply-config"). It runs one EdgeAgent at a time. A new manifest is validated by the same loader as
// `polegate validate`; then the running agent is closed and one on the new manifest started on the
// same outbox (same stream, seq continues, every unacked message is still there and is sent again).
// If a device of the new manifest brings no reading within the timeout, that agent is closed and the
// last good manifest runs again. A manifest that brought its devices up is the last good one: kept
// beside the outbox (applied-manifest.yaml), it is what a restart runs, as long as the --config file
// is the one it replaced (a field engineer who edits that file takes the pole back). The --config
// file itself is never rewritten: it may be read-only, and it is the engineer's.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pino from 'pino';
import { ConfigError, formatIssue } from '../config/errors.js';
import { loadManifestInWorker } from '../config/load-manifest-in-worker.js';
import type { LoadedManifest } from '../config/loaded.js';
import { EdgeAgent, outboxPath, type EdgeAgentOptions } from './agent.js';
import type { ApplyConfigArgs } from './command-checks.js';
import { CommandError } from './command-error.js';
import { LogLevelControl } from './log-level.js';
import type { NormalizedReading } from './reading.js';

/** How long a new manifest's devices have to bring a reading before it is rolled back, by default. */
export const DEFAULT_APPLY_TIMEOUT_MS = 30_000;
/** How long a cmd/result waits for the uplink of the agent that now runs, before it is given up. */
const RESULT_WAIT_MS = 60_000;

/** The files beside the outbox: the last good manifest, the record of what it replaced, the candidate being checked. */
function stateFiles(outbox: string): { applied: string; record: string; candidate: string } {
  const dir = dirname(outbox);
  return { applied: join(dir, 'applied-manifest.yaml'), record: join(dir, 'applied-manifest.json'), candidate: join(dir, 'apply-config.yaml') };
}

interface AppliedRecord {
  /** sha256 of the --config file's text when the manifest was applied. */
  base: string;
  appliedAt: number;
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export interface ManagedEdgeOptions extends Omit<EdgeAgentOptions, 'applyConfig' | 'publishResult' | 'logLevel'> {
  log: pino.Logger;
  env: NodeJS.ProcessEnv;
  /** Once, with the first manifest to run, before any agent: options it decides (the status server's URL). */
  prepare?: (loaded: LoadedManifest) => Promise<Partial<EdgeAgentOptions>>;
  /** Each agent, the first and every one an apply-config starts, before it starts. */
  onAgent?: (agent: EdgeAgent) => void;
}

export class ManagedEdge {
  private agent!: EdgeAgent;
  private lastGood!: LoadedManifest;
  private readonly logLevel: LogLevelControl;
  /** One apply at a time: a second waits for the first. */
  private applying: Promise<unknown> = Promise.resolve();
  private prepared: Partial<EdgeAgentOptions> = {};

  private constructor(private readonly configFile: string, private readonly opts: ManagedEdgeOptions) {
    this.logLevel = new LogLevelControl(opts.log);
  }

  /** Loads the --config manifest (or the manifest applied over it, see above) and starts the agent on it. */
  static async start(configFile: string, opts: ManagedEdgeOptions): Promise<ManagedEdge> {
    const managed = new ManagedEdge(configFile, opts);
    const loaded = await managed.appliedOver(await loadManifestInWorker(configFile, { env: opts.env }));
    managed.prepared = (await opts.prepare?.(loaded)) ?? {};
    managed.run(loaded);
    return managed;
  }

  /** The agent running now. */
  get current(): EdgeAgent {
    return this.agent;
  }

  /** The manifest to run: the last applied one if it replaced this very --config file, else the file's. */
  private async appliedOver(loaded: LoadedManifest): Promise<LoadedManifest> {
    const { applied, record } = stateFiles(outboxPath(loaded));
    if (!existsSync(record) || !existsSync(applied)) return loaded;
    const log = this.opts.log;
    try {
      const { base, appliedAt } = JSON.parse(readFileSync(record, 'utf8')) as AppliedRecord;
      const at = new Date(appliedAt).toISOString();
      if (base !== fileHash(this.configFile)) {
        log.warn({ config: this.configFile, applied }, `${this.configFile} changed since the manifest applied at ${at}: running the file, and forgetting the applied manifest`);
        rmSync(record, { force: true });
        rmSync(applied, { force: true });
        return loaded;
      }
      const over = await loadManifestInWorker(applied, { env: this.opts.env });
      log.info({ config: this.configFile, applied, appliedAt: at }, `running the manifest applied by apply-config at ${at}, not ${this.configFile}`);
      return over;
    } catch (err) {
      log.error({ applied, err: (err as Error).message }, `the applied manifest cannot be used; running ${this.configFile}`);
      return loaded;
    }
  }

  private run(loaded: LoadedManifest): void {
    this.lastGood = loaded;
    this.agent = this.create(loaded);
    this.agent.start();
  }

  private create(loaded: LoadedManifest): EdgeAgent {
    const agent = new EdgeAgent(loaded, {
      ...this.opts,
      ...this.prepared,
      logLevel: this.logLevel,
      applyConfig: (args) => {
        const run = this.applying.then(() => this.apply(args));
        this.applying = run.catch(() => undefined);
        return run;
      },
      publishResult: (result) => this.publishResult(result),
    });
    this.opts.onAgent?.(agent);
    return agent;
  }

  /** A result goes out on the agent that runs when it is ready: after an apply, that is a new one, still connecting. */
  private publishResult(result: string): boolean {
    if (this.agent.publishResult(result)) return true;
    const agent = this.agent;
    const timer = setTimeout(() => agent.off('connected', retry), RESULT_WAIT_MS).unref();
    const retry = (): void => {
      clearTimeout(timer);
      if (!agent.publishResult(result)) this.opts.log.warn('uplink down again: cmd/result not sent');
    };
    agent.once('connected', retry);
    return true;
  }

  private now(): number {
    return this.opts.clock?.now() ?? Date.now();
  }

  private async apply({ manifest, timeoutMs = DEFAULT_APPLY_TIMEOUT_MS }: ApplyConfigArgs): Promise<unknown> {
    const previous = this.lastGood;
    const files = stateFiles(outboxPath(previous));
    const candidate = await this.check(manifest, files.candidate, previous);
    const log = this.opts.log;
    const hashes = { configHash: candidate.configHash, previousHash: previous.configHash };
    log.info({ ...hashes, timeoutMs }, 'apply-config: manifest valid; restarting the agent on it');
    await this.agent.close();
    let down: string[];
    let reason: string;
    let next: EdgeAgent | undefined;
    try {
      this.agent = next = this.create(candidate);
      const missing = this.devicesUp(next, candidate, timeoutMs);
      next.start();
      down = await missing;
      reason = `device${down.length > 1 ? 's' : ''} ${down.join(', ')} brought no reading within ${timeoutMs} ms`;
    } catch (err) {
      // The agent did not even start (its files, a driver that throws at once): the old one must run again.
      down = candidate.devices.map((d) => d.config.id);
      reason = `the agent did not start on it: ${(err as Error).message}`;
    }
    if (down.length === 0) {
      renameSync(files.candidate, files.applied);
      writeFileSync(files.record, JSON.stringify({ base: fileHash(this.configFile), appliedAt: this.now() } satisfies AppliedRecord));
      this.lastGood = candidate;
      this.agent.recordEvent({ type: 'config-applied', ts: this.now(), outcome: 'applied', ...hashes });
      log.info(hashes, 'apply-config: applied');
      return { outcome: 'applied', ...hashes, devices: candidate.devices.map((d) => d.config.id) };
    }
    log.warn({ ...hashes, down }, `apply-config: ${reason}; rolling back`);
    await next?.close();
    rmSync(files.candidate, { force: true });
    this.run(previous);
    this.agent.recordEvent({ type: 'config-applied', ts: this.now(), outcome: 'rolled-back', reason, down, ...hashes });
    throw new CommandError('CONFIG_ROLLED_BACK', `${reason}; rolled back to the last good manifest (${previous.configHash.slice(0, 12)})`);
  }

  /**
   * The candidate, loaded as `polegate validate` loads a file (same errors, with the candidate's lines);
   * a manifest for another pole, or one that moves the outbox, is refused as well.
   */
  private async check(text: string, file: string, previous: LoadedManifest): Promise<LoadedManifest> {
    writeFileSync(file, text);
    const refuse = (message: string, issues?: string[]): never => {
      rmSync(file, { force: true });
      this.agent.recordEvent({ type: 'config-applied', ts: this.now(), outcome: 'refused', reason: message, ...(issues ? { issues } : {}) });
      this.opts.log.warn({ reason: message, issues }, 'apply-config: refused');
      throw new CommandError('CONFIG_REFUSED', issues ? `${message}: ${issues.join('; ')}` : message);
    };
    let candidate: LoadedManifest;
    try {
      candidate = await loadManifestInWorker(file, { env: this.opts.env });
    } catch (err) {
      if (err instanceof ConfigError) return refuse(`not a valid pole manifest: ${err.issues.length} problem${err.issues.length > 1 ? 's' : ''}`, err.issues.map(formatIssue));
      return refuse(`the manifest cannot be loaded: ${(err as Error).message}`);
    }
    if (candidate.manifest.pole.id !== previous.manifest.pole.id) return refuse(`pole.id is ${candidate.manifest.pole.id}, but this pole is ${previous.manifest.pole.id}`);
    if (outboxPath(candidate) !== outboxPath(previous)) return refuse(`buffer.path names ${outboxPath(candidate)}, but the outbox is ${outboxPath(previous)}: an applied manifest keeps the outbox`);
    return candidate;
  }

  /** Resolves with the devices that brought no reading within `timeoutMs` (none: all are up). */
  private devicesUp(agent: EdgeAgent, loaded: LoadedManifest, timeoutMs: number): Promise<string[]> {
    const waiting = new Set(loaded.devices.map((d) => d.config.id));
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        agent.off('reading', onReading);
        resolve([...waiting]);
      };
      const onReading = (r: NormalizedReading): void => {
        waiting.delete(r.device);
        if (waiting.size === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      agent.on('reading', onReading);
    });
  }

  async close(): Promise<void> {
    await this.applying;
    this.logLevel.stop();
    await this.agent.close();
  }
}
