// An MQTT subscriber that records everything under a topic root, as the platform would see it.
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic } from '../../contract/topics.js';

export interface Recorded {
  topic: string;
  kind: string;
  retain: boolean;
  payload: any;
}

export interface Recorder {
  client: MqttClient;
  messages: Recorded[];
  of(kind: string): Recorded[];
  /** Every seq seen in telemetry, alarms and events, in arrival order (duplicates kept). */
  seqs(): number[];
  close(): Promise<void>;
}

export async function record(url: string, root: string): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { clientId: `rec-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const messages: Recorded[] = [];
  client.on('message', (topic, payload, packet) => {
    const parsed = parseTopic(root, topic);
    if (!parsed || payload.length === 0) return;
    messages.push({ topic, kind: parsed.kind, retain: packet.retain, payload: JSON.parse(payload.toString()) });
  });
  await client.subscribeAsync(`${root}/#`, { qos: 1 });
  return {
    client,
    messages,
    of: (kind) => messages.filter((m) => m.kind === kind),
    seqs: () => messages.flatMap((m) => (m.kind === 'telemetry' ? m.payload.readings.map((r: { seq: number }) => r.seq) : m.kind === 'alarm' || m.kind === 'event' ? [m.payload.seq] : [])),
    close: () => client.endAsync(),
  };
}

/** Removes the retained state and birth a test pole left on a shared broker. */
export async function clearRetained(url: string, root: string, pole: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  for (const kind of ['state', 'birth']) await client.publishAsync(`${root}/${pole}/${kind}`, '', { qos: 1, retain: true });
  await client.endAsync();
}
