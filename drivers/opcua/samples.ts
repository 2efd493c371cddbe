// Pure: an OPC UA DataValue as a sample. Status codes map to quality by their severity bits
// (Good / Uncertain / Bad, OPC UA Part 4, 7.34); a Bad value is dropped, an Uncertain one is kept
// with the status name as reason. The value is typed as the node's `type` says; a value that is
// not of that type is a bad sample, not a wrong number.
import type { Quality, ReadingValue, Sample } from '../sdk/index.js';
import type { OpcuaNodeOptions } from './options.js';

/** What the driver takes from a node-opcua DataValue (kept structural, so this file loads nothing). */
export interface NodeValue {
  value: unknown;
  status: { value: number; name: string };
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

function typed(type: OpcuaNodeOptions['type'], value: unknown): ReadingValue | undefined {
  switch (type) {
    case 'float':
      return typeof value === 'number' ? value : undefined;
    case 'int':
      // Int64 values come as [high, low] 32-bit words.
      if (Array.isArray(value) && value.length === 2) return value[0] * 2 ** 32 + value[1];
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : value && typeof value === 'object' && 'text' in value ? String(value.text) : undefined;
  }
}

export function sampleOf(node: OpcuaNodeOptions, data: NodeValue, now: number): Sample {
  const unit = node.unit ?? '';
  const ts = data.sourceTimestamp?.getTime() ?? data.serverTimestamp?.getTime() ?? now;
  const quality = qualityOf(data.status.value);
  if (quality === 'bad') return { metric: node.name, value: null, unit, ts, quality, reason: `OPC UA status ${data.status.name} from ${node.nodeId}` };
  const value = typed(node.type, data.value);
  if (value === undefined) return { metric: node.name, value: null, unit, ts, quality: 'bad', reason: `${node.nodeId} gave ${JSON.stringify(data.value)}, not a ${node.type}` };
  return quality === 'good' ? { metric: node.name, value, unit, ts, quality } : { metric: node.name, value, unit, ts, quality, reason: `OPC UA status ${data.status.name}` };
}
