/** A connected game client of an in-process runtime (`createRuntime`): real WebSocket, the runtime's game port. */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../src/client/client.js';
import type { Runtime } from '../../src/server/runtime.js';

export const runtimeClient = async (rt: Runtime): Promise<WorldtickClient> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  return c;
};
