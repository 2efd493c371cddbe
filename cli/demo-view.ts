// The demo's live view: what a platform subscriber sees on the topic tree, one line per message.
import { parseTopic, decodePayload, type JsonTopicKind, type TelemetryPayload, type AlarmPayload, type EventPayload, type StatePayload } from '../contract/index.js';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = (text: string) => paint('1', text);
const red = (text: string) => paint('31;1', text);
const green = (text: string) => paint('32', text);
const dim = (text: string) => paint('2', text);

function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

function formatValue(value: unknown): string {
  return typeof value === 'number' ? String(Math.round(value * 100) / 100) : String(value);
}

/** One line for a message on the tree, or undefined for messages the view does not show; `api` is the cloud's HTTP base, for picture links. */
export function describeMessage(root: string, topic: string, payload: Buffer, api?: string): string | undefined {
  const parsed = parseTopic(root, topic);
  if (!parsed || parsed.kind === 'blob' || parsed.kind === 'cmd' || parsed.kind === 'birth') return undefined;
  const decoded = decodePayload(parsed.kind as JsonTopicKind, payload);
  if (!decoded.ok) return `${dim(clock(Date.now()))} ${red('bad payload')} on ${topic}: ${decoded.reason}`;
  const now = dim(clock(Date.now()));
  switch (parsed.kind) {
    case 'state': {
      const state = decoded.value as StatePayload;
      return `${now} ${bold(state.pole)} is ${state.state === 'online' ? green('online') : red('offline')}`;
    }
    case 'telemetry': {
      const batch = decoded.value as TelemetryPayload;
      const latest = new Map<string, string>();
      for (const r of batch.readings) latest.set(`${r.device}.${r.metric}`, `${formatValue(r.value)} ${r.unit}`.trim());
      const values = [...latest].map(([name, value]) => `${name}=${value}`).join('  ');
      const tag = batch.historical ? dim(` (backlog, ${batch.readings.length} readings)`) : '';
      return `${now} telemetry ${batch.readings.length}${tag}  ${values}`;
    }
    case 'alarm': {
      const { alarm } = decoded.value as AlarmPayload;
      const what = `${alarm.rule} on ${alarm.device}.${alarm.metric} = ${formatValue(alarm.value)}`;
      const { snapshot } = alarm;
      const picture = snapshot && api ? `, picture ${api}/api/blobs/${snapshot.replace(/^sha256:/, '')}` : '';
      return alarm.state === 'raised'
        ? `${now} ${red(`ALARM ${alarm.severity.toUpperCase()} raised`)}: ${what}${alarm.threshold !== undefined ? ` (threshold ${alarm.threshold})` : ''}${picture}`
        : `${now} ${green('alarm cleared')}: ${what}`;
    }
    case 'event': {
      const { event } = decoded.value as EventPayload;
      // Camera events carry the state that changed (motion started, tamper ended, …).
      const changed = (event as { state?: unknown }).state;
      const state = typeof changed === 'boolean' ? (changed ? ' started' : ' ended') : '';
      return `${now} event ${bold(event.type)}${state}${event.device ? ` on ${event.device}` : ''}`;
    }
    default:
      return undefined;
  }
}
