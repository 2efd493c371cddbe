// The default heartbeat of report by exception (report-filter.ts): a steady value is sent again at
// least every 5 minutes when the manifest sets no report.heartbeatMs, so the platform can tell a
// steady sensor from a dead one.
import t from 'tap';
import { DEFAULT_HEARTBEAT_MS, ReportFilter } from '../../edge-agent/report-filter.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';

const at = (ts: number, value = 7): NormalizedReading => ({ device: 'level-1', metric: 'level', value, unit: 'm', ts, quality: 'good' });

/** The ts of the readings sent, of a steady value polled every 10 s for `ms`. */
function sent(filter: ReportFilter, ms: number): number[] {
  const out: number[] = [];
  for (let ts = 0; ts <= ms; ts += 10_000) if (filter.shouldSend(at(ts))) out.push(ts);
  return out;
}

t.test('with a deadband and no heartbeatMs, a steady value is sent every 5 minutes', async (t) => {
  t.equal(DEFAULT_HEARTBEAT_MS, 300_000);
  t.same(sent(new ReportFilter({ deadband: { default: 0.1 } }), 900_000), [0, 300_000, 600_000, 900_000]);
});

t.test('heartbeatMs set in the manifest wins over the default', async (t) => {
  t.same(sent(new ReportFilter({ deadband: { default: 0.1 }, heartbeatMs: 60_000 }), 180_000), [0, 60_000, 120_000, 180_000]);
  t.same(sent(new ReportFilter({ deadband: { default: 0.1 }, heartbeatMs: 3_600_000 }), 900_000), [0]);
});
