// The one shape a reading has inside the agent, between the normalizer and the outbox: one metric of
// one device, already in its canonical unit. It is the wire's reading before the outbox gives it a seq.
import type { Reading } from '../contract/schemas.js';

export type NormalizedReading = Omit<Reading, 'seq'>;
