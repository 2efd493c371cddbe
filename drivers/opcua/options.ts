// Device options of the built-in `opcua` driver, beside the common keys (id, driver, pollMs). Only
// config/ loads this module (TypeBox); the driver's runtime (index.ts) takes the type alone.
import { Type, type Static } from '@sinclair/typebox';

export const OpcuaNode = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_-]*$', description: 'Metric name, as readings carry it.' }),
  nodeId: Type.String({ pattern: '^(ns=[0-9]+;|nsu=[^;]+;)?[isgb]=.+$', description: 'OPC UA node id, e.g. ns=1;s=Pump1.Flow or ns=2;i=1001.' }),
  type: Type.Union([Type.Literal('float'), Type.Literal('int'), Type.Literal('bool'), Type.Literal('string')], { description: 'How the value is reported.' }),
  unit: Type.Optional(Type.String({ minLength: 1, description: 'UCUM code or field unit of the value as the server gives it; converted to the canonical unit of its quantity.' })),
}, { additionalProperties: false });

export const OpcuaOptions = Type.Object({
  endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'Endpoint URL, opc.tcp://host:port/path.' }),
  securityMode: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')], { description: 'Message security, None by default; Sign and SignAndEncrypt use securityPolicy.' })),
  securityPolicy: Type.Optional(Type.Union([Type.Literal('Basic256Sha256'), Type.Literal('Aes128_Sha256_RsaOaep'), Type.Literal('Aes256_Sha256_RsaPss')], { description: 'With Sign or SignAndEncrypt: Basic256Sha256 by default.' })),
  username: Type.Optional(Type.String({ minLength: 1, description: 'User name; anonymous when absent.' })),
  password: Type.Optional(Type.String({ description: 'Password of username; put it in ${…}.' })),
  subscribe: Type.Optional(Type.Boolean({ description: 'true: monitored items, the server pushes changes and each poll reports the latest values; false (default): each poll reads the nodes.' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60000, description: 'Per request and per connect, 5000 by default.' })),
  nodes: Type.Array(OpcuaNode, { minItems: 1, description: 'The nodes to read, one metric each.' }),
});

export type OpcuaNodeOptions = Static<typeof OpcuaNode>;
export type OpcuaDriverOptions = Static<typeof OpcuaOptions>;
