// A child process that appends readings to an outbox in committed batches and reports each commit
// on stdout ("committed <total>"), until it is killed. Run with `node --import tsx`.
import { Outbox } from '../../edge-agent/outbox.js';

const [path, perBatch] = process.argv.slice(2);
const outbox = Outbox.open(path!);
const size = Number(perBatch ?? 50);
let total = 0;
const step = () => {
  const readings = Array.from({ length: size }, (_, i) => ({ device: 'd1', metric: 'm', value: total + i, unit: 'm', ts: Date.now(), quality: 'good' as const }));
  outbox.appendReadings(readings);
  total += size;
  process.stdout.write(`committed ${total}\n`);
  setImmediate(step);
};
step();
