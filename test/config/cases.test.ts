// Regression cases: test/cases/config/<name>/input.yaml (a manifest, with optional env.json and the
// files it refers to) and expected.err, the exact text the loader reports (empty: valid).
// A bug report becomes a new folder. POLEGATE_UPDATE_CASES=1 rewrites expected.err (review the diff).
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../config/load-manifest.js';
import { ConfigError, PolegateError } from '../../config/errors.js';

const casesDir = fileURLToPath(new URL('../cases/config/', import.meta.url));

async function report(dir: string): Promise<string> {
  const envFile = path.join(dir, 'env.json');
  const env = existsSync(envFile) ? (JSON.parse(readFileSync(envFile, 'utf8')) as NodeJS.ProcessEnv) : {};
  try {
    await loadManifest(path.join(dir, 'input.yaml'), { env });
    return '';
  } catch (err) {
    if (!(err instanceof PolegateError)) throw err;
    const text = err instanceof ConfigError ? err.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n') : err.message;
    return `${text.split(`${dir}${path.sep}`).join('')}\n`;
  }
}

const names = readdirSync(casesDir).sort();
t.ok(names.length >= 20, 'at least 20 cases');
for (const name of names) {
  t.test(name, async (t) => {
    const dir = path.join(casesDir, name);
    const actual = await report(dir);
    const expectedFile = path.join(dir, 'expected.err');
    if (process.env.POLEGATE_UPDATE_CASES === '1') writeFileSync(expectedFile, actual);
    t.equal(actual, readFileSync(expectedFile, 'utf8'));
  });
}
