// A real `polegate edge` (cli/polegate.ts through tsx) for the status server's tests: its output, its
// exit, and the status URL its start-up log line names. `loadedLog`: every module URL the process
// resolves is appended there (a module-resolution hook), to prove what a pole without `status:` loads.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { root } from './polegate-cli.js';
import { waitFor } from './wait.js';

export interface EdgeRun {
  output(): string;
  exit: Promise<number | null>;
  /** The start-up log line, parsed, once it has been written. */
  started(): Promise<{ config: string; devices: string[]; status?: string }>;
  /** Module URLs the process has resolved so far. */
  loaded(): string;
  stop(): Promise<number | null>;
}

const LOADER = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.POLEGATE_LOADED, resolved.url + '\\n');
  return resolved;
}
`;

export function startEdge(t: Test, dir: string, manifest = 'pole.yaml'): EdgeRun {
  const loadedLog = join(dir, 'loaded.txt');
  writeFileSync(join(dir, 'loader.mjs'), LOADER);
  writeFileSync(join(dir, 'hook.mjs'), "import { register } from 'node:module';\nregister('./loader.mjs', import.meta.url);\n");
  const child = spawn(process.execPath, ['--import', join(dir, 'hook.mjs'), '--import', 'tsx', join(root, 'cli/polegate.ts'), 'edge', '--config', manifest], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', POLEGATE_LOADED: loadedLog },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  return {
    output: () => out,
    exit,
    loaded: () => (existsSync(loadedLog) ? readFileSync(loadedLog, 'utf8') : ''),
    async started() {
      const line = await waitFor('the start-up log line', () => {
        if (child.exitCode !== null) throw new Error(`polegate edge exited with ${child.exitCode}:\n${out}`);
        return out.split('\n').find((l) => l.includes('"edge agent starting"'));
      }, 30_000);
      return JSON.parse(line);
    },
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
