/**
 * worldtick's server API (the package's `"."` export). Placeholder entry until the public game
 * API lands: build a runtime from parsed options and a logger, start it, stop it.
 */
export { createRuntime, DEFAULT_WORLD_ID, type Runtime, type Service } from './server/runtime.js';
export { parseOptions, type ServerOptions } from './cli/options.js';
export { createLogger, type Logger } from './log.js';
