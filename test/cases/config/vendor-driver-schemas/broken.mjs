// An options schema with a keyword JSON Schema does not have.
export default {
  kind: 'lidar',
  optionsSchema: { type: 'object', properties: { host: { type: 'string', frobnicate: true } } },
  create() {
    throw new Error('not used by the config tests');
  },
};
