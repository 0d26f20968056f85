/** Transactions: item catalogue, the group-committing ledger service, applying to wallets, verification. */
export * from './catalogue.js';
export * from './decide.js';
export * from './rate-limit.js';
export * from './refusal-budget.js';
export * from './refusal-retention.js';
export * from './ledger-service.js';
export * from './apply.js';
export * from './verify.js';
export * from './world-ledger.js';
export * from './ledger-options.js';
