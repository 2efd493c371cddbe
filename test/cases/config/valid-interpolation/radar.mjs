// A vendor driver: options host and label.
export default {
  kind: 'acme-radar',
  optionsSchema: { type: 'object', properties: { host: { type: 'string' }, label: { type: 'string' } }, additionalProperties: false },
  create() {
    throw new Error('not used by the config tests');
  },
};
