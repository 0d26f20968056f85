/** Running steps lives in the core (src/core/step.ts); re-exported here for existing importers. */
export * from '../core/step.js';
