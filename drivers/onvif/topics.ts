// Pure: an ONVIF NotificationMessage (as the onvif package parses it) → the driver's event kind and
// state, for the standard topics of motion and tamper; undefined for any other topic.
export type CameraEventType = 'motion' | 'tamper';

/** Standard topics (ONVIF Core / Analytics) and the data item that carries their state. */
export const TOPIC_EVENTS: Record<string, { type: CameraEventType; item: string }> = {
  'VideoSource/MotionAlarm': { type: 'motion', item: 'State' },
  'RuleEngine/CellMotionDetector/Motion': { type: 'motion', item: 'IsMotion' },
  'RuleEngine/TamperDetector/Tamper': { type: 'tamper', item: 'IsTamper' },
  'VideoSource/GlobalSceneChange/ImagingService': { type: 'tamper', item: 'State' },
};

export interface CameraNotification {
  type: CameraEventType;
  state: boolean;
  topic: string;
  /** The camera's UtcTime of the change (camera clock), epoch ms; undefined when absent. */
  cameraTs?: number;
  /** `Initialized` (the state at subscription time) or `Changed`. */
  operation?: string;
}

type Parsed = Record<string, any>;

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  return undefined;
}

export function mapNotification(message: Parsed): CameraNotification | undefined {
  const rawTopic = typeof message?.topic === 'string' ? message.topic : message?.topic?._;
  if (typeof rawTopic !== 'string') return undefined;
  // The topic's namespace prefix is the camera's choice (tns1:, tns:, …): match on the path.
  const topic = rawTopic.trim();
  const path = topic.replace(/^[\w-]+:/, '');
  const known = TOPIC_EVENTS[path];
  if (!known) return undefined;
  const inner = message.message?.message;
  const item = asArray<Parsed>(inner?.data?.simpleItem).find((entry) => entry?.$?.Name === known.item);
  const state = toBoolean(item?.$?.Value);
  if (state === undefined) return undefined;
  const utc = inner?.$?.UtcTime;
  const cameraTs = utc instanceof Date ? utc.getTime() : typeof utc === 'string' ? Date.parse(utc) : undefined;
  return { type: known.type, state, topic, operation: inner?.$?.PropertyOperation, ...(cameraTs !== undefined && Number.isFinite(cameraTs) ? { cameraTs } : {}) };
}
