// The onvif driver's pure parts: topic mapping, the SOAP action read off a request (checked against
// the action the onvif package computes itself), and ProbeMatches parsing.
import t from 'tap';
import onvifPackage from 'onvif';
import { mapNotification } from '../../../drivers/onvif/topics.js';
import { guarded, soapAction } from '../../../drivers/onvif/index.js';
import { parseProbeMatches, probeMatchXml } from '../../../drivers/onvif/discovery.js';

t.test('standard topics map to motion and tamper with their state; others are ignored', async (t) => {
  const message = (topic: string, item: string, value: unknown, operation = 'Changed') => ({
    topic: { _: topic, $: { Dialect: 'x' } },
    message: { message: { $: { UtcTime: new Date('2026-12-03T10:00:00Z'), PropertyOperation: operation }, data: { simpleItem: { $: { Name: item, Value: value } } } } },
  });
  t.match(mapNotification(message('tns1:VideoSource/MotionAlarm', 'State', true)), { type: 'motion', state: true, cameraTs: Date.parse('2026-12-03T10:00:00Z'), operation: 'Changed' });
  t.match(mapNotification(message('tns1:RuleEngine/CellMotionDetector/Motion', 'IsMotion', 'false')), { type: 'motion', state: false });
  t.match(mapNotification(message('tns:RuleEngine/TamperDetector/Tamper', 'IsTamper', true)), { type: 'tamper', state: true }, 'any prefix');
  t.match(mapNotification(message('tns1:VideoSource/GlobalSceneChange/ImagingService', 'State', true)), { type: 'tamper' });
  t.equal(mapNotification(message('tns1:Device/Trigger/DigitalInput', 'LogicalState', true)), undefined);
  t.equal(mapNotification(message('tns1:VideoSource/MotionAlarm', 'Other', true)), undefined, 'no state item');
  t.equal(mapNotification({}), undefined);
});

t.test('the SOAP action read off a request is the one the package computes', async (t) => {
  const cam = new onvifPackage.Cam({ hostname: '127.0.0.1', username: 'u', password: 'p', autoconnect: false }) as any;
  const seen: Array<{ computed: string; ours: string | undefined }> = [];
  cam._requestPart2 = (options: { action: string; body: string }) => seen.push({ computed: options.action, ours: soapAction(options.body) });
  cam.events.subscription = { subscriptionReference: { address: new URL('http://127.0.0.1/pp') } };
  const noop = () => undefined;
  cam.getSystemDateAndTime(noop);
  cam.getDeviceInformation(noop);
  cam.createPullPointSubscription(noop);
  cam.pullMessages({}, noop);
  cam.renew({}, noop);
  cam.getSnapshotUri({ profileToken: 'main' }, noop);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(seen.length, 6);
  for (const { computed, ours } of seen) t.equal(ours, computed, computed);
});

t.test('an answer that makes the package throw in its callback becomes that request\'s error, not an uncaught exception', async (t) => {
  const cam = new onvifPackage.Cam({ hostname: '127.0.0.1', username: 'u', password: 'p', autoconnect: false }) as any;
  cam.events.subscription = { subscriptionReference: { address: new URL('http://127.0.0.1/pp') } };
  // The package's own answer handling, handed a parsed answer of a shape it does not expect.
  const unguarded = (callback: (err: Error | null, ...rest: unknown[]) => void) => () => callback(null, undefined, '<odd/>', 200);
  cam._requestPart2 = (_options: unknown, callback: (err: Error | null, ...rest: unknown[]) => void) => unguarded(callback)();
  t.throws(() => cam.pullMessages({}, () => undefined), TypeError, 'unguarded, the package throws');
  cam._requestPart2 = (_options: unknown, callback: (err: Error | null, ...rest: unknown[]) => void) => unguarded(guarded(callback))();
  const results: Array<Error | null> = [];
  cam.pullMessages({}, (err: Error | null) => results.push(err));
  t.equal(results.length, 1, 'the caller is answered once');
  t.match(results[0]?.message, /^unexpected answer \(/, 'with an error the health check classifies');
});

t.test('ProbeMatches: the camera, its addresses and hardware; anything else is no camera', async (t) => {
  const xml = probeMatchXml({ relatesTo: 'urn:uuid:1', endpoint: 'urn:uuid:cam', xaddr: 'http://10.0.0.5/onvif/device_service http://[fe80::1]/onvif/device_service', model: 'Sim Cam' });
  t.same(parseProbeMatches(xml, '10.0.0.5:3702'), [{ endpoint: 'urn:uuid:cam', xaddrs: ['http://10.0.0.5/onvif/device_service', 'http://[fe80::1]/onvif/device_service'], from: '10.0.0.5:3702', hardware: 'Sim Cam' }]);
  t.same(parseProbeMatches('<html>nope</html>', 'x'), []);
});
