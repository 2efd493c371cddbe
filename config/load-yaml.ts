// The steps every config file takes: read the YAML (stopping at syntax errors, which make the rest
// meaningless), then references, the schema and the kind's own checks; every issue at once, sorted
// by line, as one ConfigError.
import type { TSchema } from '@sinclair/typebox';
import { checkSchema } from './check-schema.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { sortIssues } from './sort-issues.js';
import { readYamlSource, type YamlSource } from './yaml-source.js';

export async function loadYaml(
  file: string,
  what: string,
  /** The schema, or how to pick it from the document (a profile's `kind:`). */
  schema: TSchema | ((value: unknown) => TSchema),
  env: NodeJS.ProcessEnv | undefined,
  checks: (source: YamlSource) => ConfigIssue[] | Promise<ConfigIssue[]>,
  maxBytes?: number,
): Promise<YamlSource> {
  const source = await readYamlSource(file, what, env, maxBytes);
  if (source.syntaxIssues.length > 0) throw new ConfigError(sortIssues(source.syntaxIssues, file));
  const issues = [...source.referenceIssues, ...checkSchema(typeof schema === 'function' ? schema(source.value) : schema, source.value, source), ...(await checks(source))];
  if (issues.length > 0) throw new ConfigError(sortIssues(issues, file));
  return source;
}
