export * from './schemas.js';
export * from './topics.js';
export * from './validate.js';
