// One line of an ASCII instrument → samples, pure: the profile's regex picks the named groups, each
// group's text becomes its metric's value by type (float, int, bool, string), then scale and offset.
// A line that does not match makes every metric bad with that reason; a group that does not parse
// makes its own metric bad.
import { quoteLine, type LineMetric, type ReadingValue, type Sample, type SerialLineProfile } from '../sdk/index.js';

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT = /^[+-]?\d+$/;
const TRUE = new Set(['1', 'true', 'on', 'yes']);
const FALSE = new Set(['0', 'false', 'off', 'no']);

/** A metric's value from its group's text, or why it is none. */
export function parseValue(metric: LineMetric, text: string): { value: ReadingValue } | { reason: string } {
  const t = text.trim();
  switch (metric.type) {
    case 'string':
      return { value: text };
    case 'bool': {
      const lower = t.toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { reason: `${quoteLine(t)} is not a bool (1/0, true/false, on/off, yes/no)` };
    }
    case 'float':
    case 'int': {
      if (!(metric.type === 'int' ? INT : FLOAT).test(t)) return { reason: `${quoteLine(t)} is not ${metric.type === 'int' ? 'an integer' : 'a number'}` };
      return { value: Number(t) * (metric.scale ?? 1) + (metric.offset ?? 0) };
    }
  }
}

export interface LineParser {
  /** Why `line` is not this instrument's line, or undefined when it is (for the bus's FrameCheck). */
  refuse(line: string): string | undefined;
  /** The samples of one line, good or bad. */
  samples(line: string, ts: number): Sample[];
  /** Every metric bad with one reason (no line, a line that does not match). */
  bad(reason: string, ts: number): Sample[];
}

export function lineParser(profile: SerialLineProfile): LineParser {
  const pattern = new RegExp(profile.line);
  const unitOf = (metric: LineMetric) => metric.unit ?? '';
  const refuse = (line: string) => (pattern.test(line) ? undefined : `line ${quoteLine(line)} does not match the profile's line: pattern`);
  const bad = (reason: string, ts: number): Sample[] => profile.metrics.map((metric) => ({ metric: metric.name, value: null, unit: unitOf(metric), ts, quality: 'bad', reason }));
  return {
    refuse,
    bad,
    samples(line, ts) {
      const groups = pattern.exec(line)?.groups;
      if (!groups) return bad(refuse(line)!, ts);
      return profile.metrics.map((metric): Sample => {
        const text = groups[metric.name];
        const parsed = text === undefined ? { reason: `group ${metric.name} is empty in line ${quoteLine(line)}` } : parseValue(metric, text);
        if ('reason' in parsed) return { metric: metric.name, value: null, unit: unitOf(metric), ts, quality: 'bad', reason: parsed.reason };
        return { metric: metric.name, value: parsed.value, unit: unitOf(metric), ts, quality: 'good' };
      });
    },
  };
}
