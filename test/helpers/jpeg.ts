// A real (baseline, decodable) JPEG of an 8×8 mid-grey picture, made by hand: one 8×8 block whose
// DC difference and ACs are all zero, coded with one-symbol Huffman tables. `note` goes into a
// comment segment, so pictures differ by hash; `size` pads them with comment segments to about
// that many bytes, for budgets and large-picture tests.
const COMMENT_MAX = 65_533;

function segment(marker: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

const HEAD = Buffer.concat([
  Buffer.from([0xff, 0xd8]),
  segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
  segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])),
  segment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])),
  // DC table 0 and AC table 0, each one code of length 1 for symbol 0 (DC diff 0; AC end of block).
  segment(0xc4, Buffer.from([0x00, 1, ...Array(15).fill(0), 0, 0x10, 1, ...Array(15).fill(0), 0])),
]);
const SCAN = Buffer.concat([segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])), Buffer.from([0x3f, 0xff, 0xd9])]);

export function testJpeg(note: string, size = 0): Buffer {
  const comments = [segment(0xfe, Buffer.from(note))];
  let length = HEAD.length + comments[0]!.length + SCAN.length;
  while (length < size) {
    const n = Math.min(COMMENT_MAX, Math.max(1, size - length - 4));
    comments.push(segment(0xfe, Buffer.alloc(n, 0x20)));
    length += n + 4;
  }
  return Buffer.concat([HEAD, ...comments, SCAN]);
}
