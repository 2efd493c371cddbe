// Device options of the built-in `onvif` driver, beside the common keys (id, driver, pollMs). Kept
// apart from the runtime (index.ts) so that the agent never loads TypeBox for it.
import { Type, type Static } from '@sinclair/typebox';

export const OnvifOptions = Type.Object({
  host: Type.String({ minLength: 1, description: 'Camera address (IP or host name).' }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'HTTP port of the ONVIF device service, 80 by default.' })),
  username: Type.Optional(Type.String({ minLength: 1, description: 'ONVIF user (WS-UsernameToken, and digest or basic auth for the snapshot).' })),
  password: Type.Optional(Type.String({ description: 'Its password; use ${ENV_VAR} interpolation, never the clear text in a manifest.' })),
  snapshotMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'Take a snapshot this often, ms (the agent takes them; the driver only offers snapshot()).' })),
  events: Type.Optional(Type.Array(Type.Union([Type.Literal('motion'), Type.Literal('tamper')]), { uniqueItems: true, description: 'Camera events to report (PullPoint subscription); none when empty, both when absent.' })),
  profile: Type.Optional(Type.String({ minLength: 1, description: 'Media profile token for snapshots; the first profile when absent.' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120000, description: 'Deadline of each ONVIF request and of the snapshot download, 5000 by default.' })),
  snapshotMaxBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'A snapshot larger than this is refused, 2 MiB by default.' })),
});

export type OnvifDriverOptions = Static<typeof OnvifOptions>;
