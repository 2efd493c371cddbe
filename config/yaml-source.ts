// A config file read as YAML with every node's position kept, so that any issue found later
// (schema, cross-field checks) can be reported as file:line:column plus a YAML path.
import { open } from 'node:fs/promises';
import { parseDocument, visit, LineCounter, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import { PolegateError, type ConfigIssue } from './errors.js';
import { interpolate, maskReferences, unmaskReferences, hasMaskedReference } from './interpolate.js';

/** A path into the document: map keys and list indexes, e.g. `['devices', 2, 'unitId']`. */
export type YamlPath = ReadonlyArray<string | number>;

/** A YAML mapping once parsed: what the loaders' cross-field checks walk before the schema has passed. */
export type Entry = Record<string, unknown>;
export const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Options every config loader takes. */
export interface LoadOptions {
  /** Where `${NAME}` references are looked up; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

export interface YamlSource {
  /** The file as it is shown to the reader. */
  file: string;
  /** The file's text after `${NAME}` interpolation. */
  interpolatedText: string;
  /** The document as plain data, environment references expanded. */
  value: unknown;
  /** YAML syntax errors; when there are any, `value` must not be trusted. */
  syntaxIssues: ConfigIssue[];
  /** Unset or malformed `${…}` references. */
  referenceIssues: ConfigIssue[];
  /** An issue located at the node of `path`, or at its nearest existing ancestor. */
  issueAt(path: YamlPath, message: string, at?: 'key' | 'value'): ConfigIssue;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `devices[2].unitId`; keys that are not plain names are quoted: `report.deadband["gas-1.lel"]`. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * The largest manifest, profile or cloud config read: a hand-written file is a few KiB, and a
 * larger one is a mistake (or an attack) that would only cost memory and time to parse.
 */
export const MAX_CONFIG_BYTES = 512 * 1024;

/**
 * How many times a YAML alias (`*name`) may be expanded, weighted by the size of what it names (the
 * yaml package's maxAliasCount): nested aliases of aliases grow exponentially (an "alias bomb").
 */
const MAX_ALIAS_COUNT = 100;

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** Reads a file as UTF-8; a missing, unreadable or larger-than-`maxBytes` file is one clear line (exit 2). */
export async function readConfigText(file: string, what: string, maxBytes = MAX_CONFIG_BYTES): Promise<string> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      // The size is checked on the open file, before a byte of it is read.
      const size = (await handle.stat()).size;
      if (size > maxBytes) {
        throw new PolegateError(`${what} ${file} is ${kib(size)}, more than the ${kib(maxBytes)} a ${what} may have; check that this is the right file`, 'CONFIG_TOO_LARGE', 2);
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof PolegateError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new PolegateError(`cannot read ${what} ${file}: ${reason}; check the path`, 'CONFIG_UNREADABLE', 2);
  }
  // A file that grew between the stat and the read.
  if (bytes.length > maxBytes) throw new PolegateError(`${what} ${file} is more than the ${kib(maxBytes)} a ${what} may have; check that this is the right file`, 'CONFIG_TOO_LARGE', 2);
  // Binary garbage (a truncated copy, the wrong file) would otherwise be reported as pages of YAML errors.
  const notText = (why: string) => new PolegateError(`${what} ${file} is not a text file (${why}); check that this is the right file`, 'CONFIG_NOT_TEXT', 2);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw notText(`a NUL byte at byte ${nul}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notText('it is not UTF-8');
  }
}

export async function readYamlSource(file: string, what: string, env: NodeJS.ProcessEnv = process.env, maxBytes = MAX_CONFIG_BYTES): Promise<YamlSource> {
  return parseYamlSource(await readConfigText(file, what, maxBytes), file, env);
}

/** The document as plain data; an issue (at its first alias) instead when its aliases expand too far. */
function toValue(doc: Document, located: (offset: number, path: YamlPath, message: string) => ConfigIssue): { value?: unknown; issue?: ConfigIssue } {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    if (!(err instanceof ReferenceError) || !/alias/i.test(err.message)) throw err;
    let offset = 0;
    visit(doc, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return { issue: located(offset, [], 'YAML aliases (*name) here expand to too much data (an alias bomb?); write the values out, or alias only small nodes') };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

export function parseYamlSource(text: string, file: string, env: NodeJS.ProcessEnv = process.env): YamlSource {
  const lineCounter = new LineCounter();
  const masked = maskReferences(text);
  const doc = parseDocument(masked, { lineCounter, prettyErrors: true, keepSourceTokens: false });

  const located = (offset: number, path: YamlPath, message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, path: formatPath(path), line, column: col, message };
  };

  const syntaxIssues = doc.errors.map((e) => located(e.pos[0], [], `YAML syntax error: ${firstLine(e.message)}`));
  const referenceIssues: ConfigIssue[] = [];
  if (syntaxIssues.length === 0) expandReferences(doc, masked, env, (offset, path, message) => referenceIssues.push(located(offset, path, message)));
  const { value, issue } = syntaxIssues.length === 0 ? toValue(doc, located) : {};
  if (issue) syntaxIssues.push(issue);

  const issueAt = (path: YamlPath, message: string, at: 'key' | 'value' = 'value'): ConfigIssue => {
    const node = findNode(doc, path, at);
    return located(node?.range?.[0] ?? 0, path, message);
  };

  return {
    file,
    interpolatedText: interpolate(text, env).value,
    value: syntaxIssues.length === 0 ? value : undefined,
    syntaxIssues,
    referenceIssues,
    issueAt,
  };
}

type Report = (offset: number, path: YamlPath, message: string) => void;

function expandReferences(doc: Document, masked: string, env: NodeJS.ProcessEnv, report: Report): void {
  const visit = (node: unknown, path: YamlPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        // Keys are names, never interpolated: restore them as written.
        if (isScalar(pair.key) && typeof pair.key.value === 'string') pair.key.value = unmaskReferences(pair.key.value);
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && hasMaskedReference(node.value)) {
      const result = interpolate(unmaskReferences(node.value), env);
      const start = node.range?.[0] ?? 0;
      const end = node.range?.[1] ?? masked.length;
      const where = (written: string) => {
        const at = masked.indexOf(maskReferences(written), start);
        return at >= 0 && at < end ? at : start;
      };
      for (const name of result.missing) {
        report(where(`\${${name}}`), path, `environment variable ${name} is not set; export it or remove \${${name}} from ${formatPath(path)}`);
      }
      for (const written of result.malformed) {
        report(where(written), path, `'${written}' is not a variable reference: write \${NAME} with a name of letters, digits and _, or $\${ for a literal \${`);
      }
      node.value = result.value;
    }
  };
  visit(doc.contents, []);
}

function findNode(doc: Document, path: YamlPath, at: 'key' | 'value'): Node | undefined {
  let node: unknown = doc.contents;
  let found = doc.contents as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return found;
      if (last && at === 'key') return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      return found;
    }
    if (!node || !(node as Node).range) return found;
    found = node as Node;
  }
  return found;
}
