// Schema validation with ajv, each ajv error turned into one ConfigIssue in plain words at the
// right line. Unions are collapsed to the branch the writer evidently meant.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import type { ConfigIssue } from './errors.js';
import type { YamlPath, YamlSource } from './yaml-source.js';
import { constantsOf, expected, oneOfWords, patternWords, shown } from './describe-schema.js';
import { didYouMean } from './suggest.js';

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Every issue of `value` against `schema`; `base` is where `value` sits in the document. */
export function checkSchema(schema: TSchema, value: unknown, source: YamlSource, base: YamlPath = []): ConfigIssue[] {
  const validate = validator(schema);
  if (validate(value)) return [];
  return collapseUnions(validate.errors ?? []).map((e) => toIssue(e, source, base));
}

function segments(instancePath: string): Array<string | number> {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fitsType(branch: Record<string, any>, value: unknown): boolean {
  const type = jsonType(value);
  if ('const' in branch) return jsonType(branch.const) === type || (type === 'integer' && typeof branch.const === 'number');
  return branch.type === type || (branch.type === 'number' && type === 'integer');
}

const depth = (instancePath: string) => (instancePath ? instancePath.split('/').length - 1 : 0);

/**
 * ajv reports every branch of a failed `anyOf`, which reads as noise. Innermost unions first, each
 * union's errors are replaced by: the allowed constants; or the errors of the one branch whose type
 * (or discriminating constant, such as `kind: sqlite`) fits the value; or "must be X or Y".
 */
function collapseUnions(errors: ErrorObject[]): ErrorObject[] {
  let out = [...errors];
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`;
    const inside = out.filter((e) => e.schemaPath.startsWith(prefix));
    const rest = out.filter((e) => e !== union && !e.schemaPath.startsWith(prefix));
    out = [...rest, ...replaceUnion(union, inside)];
  }
  return out;
}

function replaceUnion(union: ErrorObject, inside: ErrorObject[]): ErrorObject[] {
  const branches = union.schema as Array<Record<string, any>>;
  const summary = (message: string): ErrorObject[] => [{ ...union, keyword: 'union', message }];
  const constants = constantsOf(union.parentSchema as Record<string, any>);
  if (constants) return summary(`must be ${oneOfWords(constants)}, not ${shown(union.data)}`);

  const errorsOf = (i: number) => inside.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/${i}/`));
  const candidates = branches.map((_, i) => i).filter((i) => fitsType(branches[i]!, union.data));
  if (candidates.length === 0) return summary(`must be ${expected(union.parentSchema as Record<string, any>)}, not ${shown(union.data)}`);
  if (candidates.length === 1) return errorsOf(candidates[0]!);

  // Several object branches: the one whose discriminating constant matched is the one meant.
  const childDepth = depth(union.instancePath) + 1;
  const missesDiscriminator = (e: ErrorObject) => (e.keyword === 'const' || e.keyword === 'union') && depth(e.instancePath) === childDepth;
  const matching = candidates.filter((i) => !errorsOf(i).some(missesDiscriminator));
  if (matching.length > 0) return matching.map(errorsOf).sort((a, b) => a.length - b.length)[0]!;
  const discriminators = candidates.flatMap((i) => errorsOf(i).filter(missesDiscriminator));
  const at = discriminators[0];
  if (at && discriminators.every((e) => e.instancePath === at.instancePath)) {
    const allowed = discriminators.flatMap((e) => constantsOf(e.parentSchema as Record<string, any>) ?? []);
    return [{ ...at, keyword: 'union', message: `must be ${oneOfWords([...new Set(allowed)])}, not ${shown(at.data)}` }];
  }
  return summary(`must be ${expected(union.parentSchema as Record<string, any>)}`);
}

function toIssue(e: ErrorObject, source: YamlSource, base: YamlPath): ConfigIssue {
  const path = [...base, ...segments(e.instancePath)];
  const parent = e.parentSchema as Record<string, any> | undefined;
  switch (e.keyword) {
    case 'union':
      return source.issueAt(path, e.message!);
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return source.issueAt(path, `required key '${key}' is missing`);
    }
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(parent?.properties ?? {});
      const hint = didYouMean(key, known) || (known.length ? `; expected one of: ${known.join(', ')}` : '');
      return source.issueAt([...path, key], `unknown key '${key}'${hint}`, 'key');
    }
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'const':
    case 'enum':
      return source.issueAt(path, `must be ${expected(parent ?? {})}, not ${shown(e.data)}`);
    case 'pattern':
      return source.issueAt(path, `${shown(e.data)} is not ${patternWords(String(e.schema))}`);
    case 'minLength':
      return source.issueAt(path, e.schema === 1 ? 'must not be empty' : `must be at least ${String(e.schema)} characters long`);
    case 'maxLength':
      return source.issueAt(path, `must be at most ${String(e.schema)} characters long`);
    case 'minItems':
      return source.issueAt(path, e.schema === 1 ? 'must list at least one item' : `must list at least ${String(e.schema)} items`);
    case 'maxItems':
      return source.issueAt(path, `must list at most ${String(e.schema)} items`);
    default:
      return source.issueAt(path, e.message ?? 'is invalid');
  }
}
