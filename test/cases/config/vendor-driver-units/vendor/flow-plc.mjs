// A vendor driver whose device entries name their own metrics and units (as OPC UA nodes do).
export default {
  kind: 'flow-plc',
  optionsSchema: {
    type: 'object',
    properties: {
      host: { type: 'string' },
      nodes: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, unit: { type: 'string' } }, required: ['name'], additionalProperties: false } },
    },
    required: ['host', 'nodes'],
  },
  create() {
    return { async open() {}, describe: () => ({ metrics: [] }), async read() { return []; }, async close() {} };
  },
};
