/** The durable store seam: interface, SQLite and PostgreSQL implementations, migrations. */
export * from './types.js';
export * from './migrations.js';
export * from './sqlite-store.js';
export * from './postgres-store.js';
export * from './open-store.js';
export { sumBalance } from './rows.js';
