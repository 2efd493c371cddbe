// `polegate/sdk`: everything a driver may use, built-in or a vendor's (package.json `exports`). The
// built-in drivers import from here and nowhere else outside their own folder, so a vendor's
// driver has what they have (a test checks it).
export type {
  BusFailure,
  ByteBus,
  Clock,
  DeviceDescription,
  Driver,
  DriverContext,
  DriverEvent,
  DriverFactory,
  DriverRuntime,
  DriverTransport,
  FrameCheck,
  Logger,
  MetricInfo,
  Quality,
  ReadingValue,
  Sample,
} from './types.js';
export { defineDriver, type DriverDefinition } from './define-driver.js';
export { PolegateError } from '../../config/errors.js';
export { connectTcp } from './connect-tcp.js';
export { crc16 } from './crc16.js';
export { decodeRegisters, encodeValue, isBitTable, layoutOf, type Decoded, type Layout } from './decode-registers.js';
export { LineFramer, lineCheck, lineText, quoteLine, type LineFramingOptions } from './line-framing.js';
export type { ByteOrder, LineMetric, Profile, ProfileMetric, RegisterTable, SerialLineProfile, ValueType } from '../../config/profile-schema.js';
