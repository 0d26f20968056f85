/** The world PRNG lives in the core (src/core/prng.ts); re-exported here for existing importers. */
export * from '../core/prng.js';
