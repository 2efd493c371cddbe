// The contract's plain constants, in a module without the schema library: the edge's runtime path
// (topic builders, payload assembly) needs them, and loading TypeBox for two constants costs the
// pole megabytes of memory it keeps for its whole life (docs/performance.md).
export const CONTRACT_VERSION = 1;
export const POLE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{2,63}$';
