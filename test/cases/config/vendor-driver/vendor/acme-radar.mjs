// A vendor driver as the loader sees it: a default-exported DriverFactory.
export default {
  kind: 'acme-radar',
  optionsSchema: {
    type: 'object',
    properties: {
      host: { type: 'string', minLength: 1 },
      rangeM: { type: 'integer', minimum: 1, maximum: 60 },
    },
    required: ['host'],
  },
  create() {
    throw new Error('not used by the config tests');
  },
};
