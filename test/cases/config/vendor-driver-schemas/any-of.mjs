// Options given as a union: either a host or a serial port.
export default {
  kind: 'lidar',
  optionsSchema: {
    anyOf: [
      { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } }, required: ['host', 'port'], additionalProperties: false },
      { type: 'object', properties: { serial: { type: 'string' } }, required: ['serial'], additionalProperties: false },
    ],
  },
  create() {
    throw new Error('not used by the config tests');
  },
};
