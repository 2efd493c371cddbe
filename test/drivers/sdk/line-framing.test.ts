import t from 'tap';
import { LineFramer, lineCheck, lineText } from '../../../drivers/sdk/line-framing.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

t.test('lineText trims noise at the ends and keeps what is inside', async (t) => {
  t.equal(lineText(bytes('\x00\xff\x13L=1.0 OK\x00')), 'L=1.0 OK');
  t.equal(lineText(bytes('\x00\x00')), '');
  t.equal(lineText(bytes('A\x00B')), 'A\x00B', 'a garbled line stays garbled, so that its reason shows it');
});

t.test('lineCheck: incomplete, empty lines stepped over, refused lines invalid, the accepted line the frame', async (t) => {
  const check = lineCheck({ terminator: '\r\n', maxLineBytes: 16 }, (line) => (line.startsWith('L=') ? undefined : `not mine: ${line}`));
  t.same(check(bytes('L=1.')), { kind: 'incomplete' });
  t.same(check(bytes('\r\nL=1')), { kind: 'foreign', length: 2, reason: 'an empty line' });
  t.same(check(bytes('#07 X\r\nL=1\r\n')), { kind: 'invalid', length: 7, reason: 'not mine: #07 X' });
  t.same(check(bytes('\x00\xffL=1.5\r\nrest')), { kind: 'frame', length: 9 });
  t.same(check(bytes('x'.repeat(20))), { kind: 'invalid', length: 20, reason: '20 bytes with no line terminator' });
  t.same(check(bytes(`${'L'.repeat(17)}\r\n`)), { kind: 'invalid', length: 19, reason: 'a line of 17 bytes, longer than 16' });
});

t.test('LineFramer: drops the partial line it started in, joins pieces, skips noise and empty lines', async (t) => {
  const framer = new LineFramer({ terminator: '\r\n' });
  t.same(framer.push(bytes('ail of a line\r\nL=1')), [], 'the tail before the first terminator is dropped');
  t.equal(framer.dropped, 13);
  t.same(framer.push(bytes('.5 OK\r')), []);
  t.same(framer.push(bytes('\n\x00\xff\r\n\r\nL=2 OK\r\nL=3')), ['L=1.5 OK', 'L=2 OK']);
  t.same(framer.push(bytes(' OK\r\n')), ['L=3 OK']);
});

t.test('LineFramer: a run with no terminator past the limit is dropped and framing starts again', async (t) => {
  const framer = new LineFramer({ terminator: '\n', maxLineBytes: 8, synced: true });
  t.same(framer.push(bytes('0123456789ABCDEF')), []);
  t.equal(framer.dropped, 16);
  t.same(framer.push(bytes('tail\nok\n')), ['ok'], 'resynchronises on the next terminator');
});
