// Small value shapes shared by the manifest and the cloud config.
import { Type } from '@sinclair/typebox';

/** A byte size: an integer, or a string such as `256MiB`, `10MB`, `512KiB` (parsed by size.ts). */
export const Size = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?$', description: 'A size such as 256MiB.' }),
], { description: 'Bytes: an integer or a size such as 256MiB.' });

export const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port (0: any free port).' });
export const Millis = Type.Integer({ minimum: 1, description: 'Milliseconds, > 0.' });
