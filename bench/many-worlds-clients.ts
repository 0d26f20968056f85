/**
 * Client process of bench/many-worlds.ts: real WebSocket clients (the client library) that join the
 * worlds named on the command line and send a movement input every 100 ms, so their decoding does
 * not count in the server process's CPU.
 *
 *   npx tsx bench/many-worlds-clients.ts <gameUrl> <playersPerWorld> <world> [<world> ...]
 *
 * Prints `ready <joined>` once every client joined (or `failed <message>`), then runs until its stdin
 * closes or it is sent SIGTERM.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';

const [url = '', perWorldArg = '0', ...worlds] = process.argv.slice(2);
const perWorld = Number(perWorldArg);
const clients: WorldtickClient[] = [];
const joinOne = async (w: string, k: number): Promise<void> => {
  const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  await c.join(w, `p${k}`, `many-${w}-${k}`, null, 30_000);
  clients.push(c);
};
try {
  // A world's players join together (as a match starts), worlds one after the other.
  for (const w of worlds) await Promise.all(Array.from({ length: perWorld }, (_, k) => joinOne(w, k)));
  console.log(`ready ${clients.length}`);
} catch (err) {
  console.log(`failed ${(err as Error).message}`);
}
let t = 0;
const timer = setInterval(() => {
  t++;
  for (const [i, c] of clients.entries()) c.sendInput(Math.cos(t / 10 + i), Math.sin(t / 10 + i));
}, 100);
const stop = (): void => {
  clearInterval(timer);
  for (const c of clients) c.close();
  setTimeout(() => process.exit(0), 200);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
