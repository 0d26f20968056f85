/** The state hash lives in the core (src/core/state-hash.ts); re-exported here for existing importers. */
export * from '../core/state-hash.js';
