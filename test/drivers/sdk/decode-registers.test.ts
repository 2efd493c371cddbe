import t from 'tap';
import type { ProfileMetric, ValueType, ByteOrder } from '../../../config/profile-schema.js';
import { decodeRegisters, encodeValue, layoutOf } from '../../../drivers/sdk/decode-registers.js';

const m = (fields: Partial<ProfileMetric>): ProfileMetric => ({ name: 'x', table: 'holding', address: 0, ...fields });

t.test('values as a field tool shows them', async (t) => {
  const cases: Array<[string, Partial<ProfileMetric>, number[], unknown]> = [
    ['float32 ABCD', { type: 'float32', order: 'ABCD' }, [0x42f6, 0xe979], 123.456],
    ['float32 default order is ABCD', { type: 'float32' }, [0x42f6, 0xe979], 123.456],
    ['float32 CDAB', { type: 'float32', order: 'CDAB' }, [0xe979, 0x42f6], 123.456],
    ['float32 BADC', { type: 'float32', order: 'BADC' }, [0xf642, 0x79e9], 123.456],
    ['float32 DCBA', { type: 'float32', order: 'DCBA' }, [0x79e9, 0xf642], 123.456],
    ['float32 negative', { type: 'float32' }, [0xc221, 0x0000], -40.25],
    ['int16 -2', { type: 'int16' }, [0xfffe], -2],
    ['uint16 65534', { type: 'uint16' }, [0xfffe], 65534],
    ['default type is uint16', {}, [0xfffe], 65534],
    ['int32 -2 ABCD', { type: 'int32' }, [0xffff, 0xfffe], -2],
    ['int32 -2 CDAB', { type: 'int32', order: 'CDAB' }, [0xfffe, 0xffff], -2],
    ['uint32 CDAB', { type: 'uint32', order: 'CDAB' }, [0x5678, 0x1234], 0x12345678],
    ['uint32 BADC', { type: 'uint32', order: 'BADC' }, [0x3412, 0x7856], 0x12345678],
    ['uint32 DCBA', { type: 'uint32', order: 'DCBA' }, [0x7856, 0x3412], 0x12345678],
    ['uint64 ABCDEFGH', { type: 'uint64', order: 'ABCDEFGH' }, [0x0001, 0x0203, 0x0405, 0x0607], 283686952306183],
    ['uint64 GHEFCDAB', { type: 'uint64', order: 'GHEFCDAB' }, [0x0607, 0x0405, 0x0203, 0x0001], 283686952306183],
    ['uint64 BADCFEHG', { type: 'uint64', order: 'BADCFEHG' }, [0x0100, 0x0302, 0x0504, 0x0706], 283686952306183],
    ['uint64 HGFEDCBA', { type: 'uint64', order: 'HGFEDCBA' }, [0x0706, 0x0504, 0x0302, 0x0100], 283686952306183],
    ['int64 -2', { type: 'int64' }, [0xffff, 0xffff, 0xffff, 0xfffe], -2],
    ['int64 -2 HGFEDCBA', { type: 'int64', order: 'HGFEDCBA' }, [0xfeff, 0xffff, 0xffff, 0xffff], -2],
    ['float64 ABCDEFGH', { type: 'float64' }, [0x4093, 0x4a45, 0x6d5c, 0xfaad], 1234.5678],
    ['float64 GHEFCDAB', { type: 'float64', order: 'GHEFCDAB' }, [0xfaad, 0x6d5c, 0x4a45, 0x4093], 1234.5678],
    ['uint16 scaled by 0.1', { type: 'uint16', scale: 0.1 }, [3], 0.3],
    ['int16 scale and offset', { type: 'int16', scale: 0.1, offset: -40 }, [0xfffe], -40.2],
    ['string trims NULs and spaces', { type: 'string', length: 4 }, [0x4744, 0x2d31, 0x3030, 0x2000], 'GD-100'],
    ['bit 0 set', { type: 'bool', bit: 0 }, [0b101], true],
    ['bit 1 clear', { type: 'bool', bit: 1 }, [0b101], false],
    ['bit 15 of a uint16', { bit: 15 }, [0x8000], true],
    ['bit 2 of an int16', { type: 'int16', bit: 2 }, [0x0004], true],
    ['bool register nonzero', { type: 'bool' }, [7], true],
    ['coil on', { table: 'coil' }, [1], true],
    ['discrete off', { table: 'discrete', type: 'bool' }, [0], false],
  ];
  for (const [name, fields, words, expected] of cases) {
    t.same(decodeRegisters(m(fields), words), { value: expected, quality: 'good' }, name);
  }
});

t.test('values that are not measurements are bad, with the reason', async (t) => {
  const nan = decodeRegisters(m({ type: 'float32' }), [0x7fc0, 0x0000]);
  t.equal(nan.quality, 'bad');
  t.equal(nan.value, null);
  t.match(nan.reason, /float32 register value is NaN/);
  t.match(decodeRegisters(m({ type: 'float64' }), [0xfff0, 0, 0, 0]).reason, /-Infinity/);
  t.match(decodeRegisters(m({ type: 'float32' }), [0x7f80, 0]).reason, /Infinity/);
  t.match(decodeRegisters(m({ type: 'float32' }), [0x7f80]).reason, /expected 2 register\(s\) for x, got 1/);
});

t.test('64-bit integers beyond 2^53 come back rounded, uncertain, exact value in the reason', async (t) => {
  const big = decodeRegisters(m({ type: 'uint64' }), [0xffff, 0xffff, 0xffff, 0xffff]);
  t.equal(big.quality, 'uncertain');
  t.equal(big.value, 18446744073709552000);
  t.match(big.reason, /uint64 value 18446744073709551615 exceeds 2\^53/);
  t.equal(decodeRegisters(m({ type: 'int64' }), [0x8000, 0, 0, 0]).quality, 'uncertain');
});

t.test('layouts: widths, defaults, and inconsistent metrics refused', async (t) => {
  t.same(layoutOf(m({ type: 'float32' })), { type: 'float32', width: 2, order: 'ABCD' });
  t.same(layoutOf(m({ type: 'int64' })), { type: 'int64', width: 4, order: 'ABCDEFGH' });
  t.same(layoutOf(m({ type: 'string', length: 5 })), { type: 'string', width: 5 });
  t.same(layoutOf(m({ table: 'coil' })), { type: 'bool', width: 1 });
  t.throws(() => layoutOf(m({ type: 'float32', order: 'ABCDEFGH' })), /float32 has 4 bytes: order must be one of ABCD, CDAB, BADC, DCBA/);
  t.throws(() => layoutOf(m({ type: 'int64', order: 'CDAB' })), /int64 has 8 bytes/);
  t.throws(() => layoutOf(m({ type: 'int16', order: 'CDAB' })), /order applies to 32-bit and 64-bit types only, not to int16/);
  t.throws(() => layoutOf(m({ type: 'string', length: 2, order: 'BADC' })), /order applies to 32-bit and 64-bit types only, not to string/);
  t.throws(() => layoutOf(m({ table: 'coil', type: 'uint16' })), /type must be bool/);
  t.throws(() => layoutOf(m({ table: 'discrete', bit: 3 })), /bit applies to holding\/input/);
  t.throws(() => layoutOf(m({ type: 'uint32', bit: 3 })), /bit applies to 16-bit types \(int16, uint16, bool\) only, not to uint32/);
  t.same(layoutOf(m({ type: 'uint16', bit: 3 })), { type: 'bool', width: 1 });
  t.throws(() => layoutOf(m({ type: 'uint16', length: 3 })), /length applies to strings only/);
});

t.test('encode then decode gives the value back, for every type and order', async (t) => {
  const orders4: ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
  const orders8: ByteOrder[] = ['ABCDEFGH', 'GHEFCDAB', 'BADCFEHG', 'HGFEDCBA'];
  const samples: Record<string, number[]> = {
    int16: [-32768, -2, 0, 1, 32767],
    uint16: [0, 1, 65535],
    int32: [-2147483648, -2, 0, 305419896, 2147483647],
    uint32: [0, 305419896, 4294967295],
    float32: [123.456, -40.25, 0, 3.4e38, 1e-30],
    int64: [-2, 0, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    uint64: [0, 283686952306183, Number.MAX_SAFE_INTEGER],
    float64: [1234.5678, -1e300, Math.PI],
  };
  for (const [type, values] of Object.entries(samples) as Array<[ValueType, number[]]>) {
    const width = layoutOf(m({ type })).width;
    const orders: Array<ByteOrder | undefined> = width === 1 ? [undefined] : width === 2 ? orders4 : orders8;
    for (const order of orders) {
      for (const value of values) {
        const metric = m({ type, order });
        const words = encodeValue(metric, value);
        t.equal(words.length, width, `${type} ${order ?? ''} ${value}: width`);
        t.ok(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff), 'words are 16-bit');
        t.equal(decodeRegisters(metric, words).value, value, `${type} ${order ?? ''} ${value}`);
      }
    }
  }
  for (const [fields, value] of [
    [{ type: 'uint16', scale: 0.1 }, 123.4],
    [{ type: 'int16', scale: 0.1, offset: -40 }, -12.5],
    [{ type: 'float32', order: 'CDAB', scale: 2, offset: 1 }, 7],
    [{ type: 'string', length: 4 }, 'GD-100'],
    [{ type: 'string', length: 3 }, 'abcdef'],
    [{ type: 'bool' }, true],
    [{ table: 'coil' }, false],
    [{ table: 'discrete' }, true],
  ] as Array<[Partial<ProfileMetric>, string | number | boolean]>) {
    t.equal(decodeRegisters(m(fields), encodeValue(m(fields), value)).value, value, `${JSON.stringify(fields)} ${value}`);
  }
});

t.test('a bit changes only its own bit of the register', async (t) => {
  t.same(encodeValue(m({ bit: 2 }), true, [0b1001]), [0b1101]);
  t.same(encodeValue(m({ bit: 0 }), false, [0xffff]), [0xfffe]);
  t.same(encodeValue(m({ bit: 15 }), true), [0x8000]);
});

t.test('values a metric cannot hold are refused', async (t) => {
  t.throws(() => encodeValue(m({ type: 'uint16' }), -1), /x: -1 is outside the uint16 range 0\.\.65535/);
  t.throws(() => encodeValue(m({ type: 'int16', scale: 0.1 }), 4000), /outside the int16 range/);
  t.throws(() => encodeValue(m({ type: 'uint16' }), 'high'), /x is a uint16: write a finite number, not "high"/);
  t.throws(() => encodeValue(m({ type: 'float32' }), NaN), /finite number/);
  t.throws(() => encodeValue(m({ table: 'coil' }), 1), /x is a bool: write true or false, not 1/);
  t.throws(() => encodeValue(m({ type: 'string', length: 1 }), 'abc'), /"abc" is 3 bytes, more than 1 registers hold/);
  t.throws(() => encodeValue(m({ type: 'string', length: 1 }), 5), /x is a string: write text/);
});
