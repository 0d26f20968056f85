/**
 * worldtick's browser-safe client library (the package's `"./client"` export): no Node-only
 * imports; pass a WebSocket implementation in Node (`ws`), the browser's is used by default.
 */
export * from './client.js';
