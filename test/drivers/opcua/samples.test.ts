// Pure: an OPC UA value as a sample — status code severity as quality, the value typed as the node says.
import t from 'tap';
import { qualityOf, sampleOf } from '../../../drivers/opcua/samples.js';

const at = new Date(1_790_000_000_000);
const node = { name: 'flow', nodeId: 'ns=1;s=Pump1.Flow', type: 'float' as const, unit: 'm3/h' };

t.test('status severity bits are the quality', async (t) => {
  t.equal(qualityOf(0), 'good');
  t.equal(qualityOf(0x40900000), 'uncertain', 'UncertainLastUsableValue');
  t.equal(qualityOf(0x808c0000), 'bad', 'BadSensorFailure');
  t.equal(qualityOf(0xc0000000), 'bad', 'severity 3 is bad too');
});

t.test('values', async (t) => {
  const good = { status: { value: 0, name: 'Good' }, sourceTimestamp: at };
  t.same(sampleOf(node, { ...good, value: 12.5 }, 1), { metric: 'flow', value: 12.5, unit: 'm3/h', ts: at.getTime(), quality: 'good' });
  t.match(sampleOf(node, { ...good, value: 'x' }, 1), { value: null, quality: 'bad', reason: /ns=1;s=Pump1\.Flow gave "x", not a float/ });
  t.match(sampleOf({ ...node, type: 'int' }, { ...good, value: [1, 5] }, 1), { value: 2 ** 32 + 5 }, 'Int64 as [high, low]');
  t.match(sampleOf({ ...node, type: 'int' }, { ...good, value: 1.5 }, 1), { quality: 'bad' }, 'a fraction is no int');
  t.match(sampleOf({ ...node, type: 'string' }, { ...good, value: { text: 'auto', locale: 'en' } }, 1), { value: 'auto' }, 'LocalizedText');
  t.match(sampleOf(node, { value: 3, status: { value: 0x40900000, name: 'UncertainLastUsableValue' } }, 7), { value: 3, quality: 'uncertain', reason: /UncertainLastUsableValue/, ts: 7 }, 'no timestamp: the clock');
  t.match(sampleOf(node, { value: 3, status: { value: 0x808c0000, name: 'BadSensorFailure' }, serverTimestamp: at }, 7), { value: null, quality: 'bad', ts: at.getTime() });
});
