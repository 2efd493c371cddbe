// The every-type profile (test/drivers/modbus/every-type.yaml: every type and word order the driver
// decodes) and the values the driver tests write to a simulator and expect to read back.
import { fileURLToPath } from 'node:url';
import type { Profile } from '../../config/profile-schema.js';
import { loadProfile } from '../../config/load-profile.js';
import type { Sample } from '../../drivers/sdk/types.js';

export const loadEveryTypeProfile = (): Promise<Profile> => loadProfile(fileURLToPath(new URL('../drivers/modbus/every-type.yaml', import.meta.url)));

export const byMetric = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric, s]));

export const EVERY_TYPE_VALUES: Record<string, number | string | boolean> = {
  i16: -2, u16: 6553.4, 'i32-abcd': -2, 'i32-cdab': -123456789, 'u32-badc': 0x12345678, 'u32-dcba': 4000000000,
  'f32-abcd': 123.456, 'f32-cdab': -40.25, 'f32-badc': 0.001, 'f32-dcba': 98765.4,
  'i64-abcdefgh': -2, 'u64-ghefcdab': 283686952306183, 'i64-badcfehg': -9007199254740991, 'u64-hgfedcba': 1,
  'f64-abcdefgh': 1234.5678, 'f64-hgfedcba': -1e-12, label: 'ET-1',
  'flag-a': true, 'flag-b': true, level: -12.5, temp: 21.5, relay: true, lamp: false, door: true,
};
