// A LoadedManifest for tests, built as an object (as config/ would return it) around test devices.
import type { LoadedManifest } from '../../config/loaded.js';
import { unitTable } from '../../config/units.js';
import testDriver, { type TestDeviceOptions } from './test-driver.js';

export interface TestPole {
  pole: string;
  url?: string;
  urls?: string[];
  topicRoot: string;
  bufferPath: string;
  devices: Array<{ id: string; pollMs: number } & TestDeviceOptions>;
}

export function testManifest(p: TestPole): LoadedManifest {
  return {
    file: '/nonexistent/pole.yaml',
    configHash: 'test-config-hash',
    manifest: {
      pole: { id: p.pole, componentCode: '1101050101000123', location: { lat: 39.92, lon: 116.44 } },
      uplink: { ...(p.urls ? { urls: p.urls } : { url: p.url ?? 'mqtt://127.0.0.1:1883' }), topicRoot: p.topicRoot, keepaliveS: 5 },
      buffer: { path: p.bufferPath },
      devices: p.devices.map(({ id, pollMs }) => ({ id, driver: 'test-device', pollMs })),
    },
    units: unitTable(p.devices.flatMap((d) => d.metrics.map((m) => m.unit))),
    devices: p.devices.map(({ id, pollMs, ...options }) => ({
      config: { id, driver: 'test-device', pollMs },
      factory: testDriver,
      options: options as unknown as Record<string, unknown>,
    })),
  };
}
