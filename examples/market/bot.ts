/**
 * A headless market player on the client API only (`worldtick/client`): it joins with a stable
 * token, reads its wallet (`wallet` frames) and inventory (`inventory` messages), looks at the
 * merchants in its view (kind {@link MERCHANT_KIND}, replicated `stall` / `s0` / `s1`) and buys
 * what is in stock. Every purchase has a transaction id; when the connection drops before the
 * `receipt`, it reconnects with its resume token and sends the same `buy` again — the server
 * charges it once.
 *
 *   node --import tsx examples/market/bot.ts --url ws://127.0.0.1:7700 --name alice --buys 5
 */
import { WorldtickClient, type ViewEntity, type WalletMsg } from '../../src/client/index.js';
import { type Inventory, MERCHANT_KIND, MSG, type Receipt, type Restocked, STALLS } from './rules.js';

/** What a market client knows, kept up to date from the server's frames. */
export interface MarketState {
  coins: number | null;
  inventory: Inventory | null;
  receipts: Map<string, Receipt>;
  restocks: Restocked[];
}

/** A market client: the socket, what it knows, and how to resume. */
export class MarketPlayer {
  readonly state: MarketState = { coins: null, inventory: null, receipts: new Map(), restocks: [] };
  client: WorldtickClient;
  resumeToken: string | null = null;
  playerId = 0;

  constructor(
    readonly url: string,
    readonly name: string,
    readonly WebSocket?: ConstructorParameters<typeof WorldtickClient>[0]['WebSocket'],
  ) {
    this.client = this.#newClient();
  }

  #newClient(): WorldtickClient {
    const c = new WorldtickClient({ url: this.url, ...(this.WebSocket ? { WebSocket: this.WebSocket } : {}) });
    c.on((m) => {
      if (m.type === 22) this.state.coins = (m as WalletMsg).coins;
    });
    c.onMessage<Inventory>(MSG.inventory, (inv) => {
      this.state.inventory = inv;
    });
    c.onMessage<Receipt>(MSG.receipt, (r) => {
      this.state.receipts.set(r.txid, r);
      if (r.coins !== null) this.state.coins = r.coins;
    });
    c.onMessage<Restocked>(MSG.restocked, (r) => this.state.restocks.push(r));
    return c;
  }

  /**
   * Connect and join world "1" with the name as token (the same player every time), resuming the
   * previous session when there is one. Resolves once the inventory arrived.
   */
  async join(timeoutMs = 5000): Promise<void> {
    if (this.client.open) this.client.close();
    this.client = this.#newClient();
    this.state.inventory = null;
    const inv = this.client.waitFor((m) => m.type === 25 && m.name === MSG.inventory, timeoutMs);
    await this.client.connect();
    const w = await this.client.join('1', this.name, this.name, this.resumeToken, timeoutMs);
    this.resumeToken = w.resumeToken;
    this.playerId = w.playerId;
    await inv;
  }

  /** The merchants in view. */
  merchants(): ViewEntity[] {
    return [...this.client.view.entities.values()].filter((e) => e.kind === MERCHANT_KIND);
  }

  /** Wait until `n` merchants are in view. */
  async seeMerchants(n = STALLS.length, timeoutMs = 5000): Promise<ViewEntity[]> {
    if (this.merchants().length >= n) return this.merchants();
    await this.client.waitFor(() => this.merchants().length >= n, timeoutMs);
    return this.merchants();
  }

  /** Send `buy` and wait for its receipt (a receipt already known for the txid is returned at once). */
  async buy(stall: number, item: string, quantity: number, txid: string, timeoutMs = 5000): Promise<Receipt> {
    const wait = this.client.waitFor((m) => m.type === 25 && m.name === MSG.receipt && (m.payload as Receipt).txid === txid, timeoutMs);
    this.client.sendMessage(MSG.buy, { stall, item, quantity, txid });
    await wait;
    const r = this.state.receipts.get(txid);
    if (!r) throw new Error(`no receipt for ${txid}`);
    return r;
  }

  /**
   * Buy exactly once whatever the connection does: on a timeout or a closed socket, rejoin (resume)
   * and send the same transaction id again, up to `attempts` times.
   */
  async buyReliably(stall: number, item: string, quantity: number, txid: string, attempts = 5): Promise<Receipt> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        if (!this.client.open) await this.join();
        return await this.buy(stall, item, quantity, txid);
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 200 * (i + 1)));
      }
    }
    throw new Error(`buy ${txid} failed after ${attempts} attempts: ${String(last)}`);
  }

  close(): void {
    this.client.close();
  }
}

/** The bot's brain: the first (stall, item) in view with stock, or null. */
export const choose = (merchants: readonly ViewEntity[]): { stall: number; item: string } | null => {
  for (const m of merchants) {
    const stall = STALLS.find((s) => s.stall === m.fields?.stall);
    if (!stall) continue;
    if ((m.fields?.s0 ?? 0) > 0) return { stall: stall.stall, item: stall.sells[0] };
    if ((m.fields?.s1 ?? 0) > 0) return { stall: stall.stall, item: stall.sells[1] };
  }
  return null;
};

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};

const main = async (): Promise<void> => {
  const { default: WS } = await import('ws');
  const p = new MarketPlayer(arg('url', 'ws://127.0.0.1:7700'), arg('name', 'bot'), WS as never);
  const buys = Number(arg('buys', '3'));
  await p.join();
  console.log(JSON.stringify({ joined: p.name, coins: p.state.coins, inventory: p.state.inventory }));
  await p.seeMerchants();
  for (let i = 0; i < buys; i++) {
    const pick = choose(p.merchants());
    if (!pick) {
      console.log(JSON.stringify({ waiting: 'every stall is sold out; waiting for a restock' }));
      await p.client.waitFor((m) => m.type === 25 && m.name === MSG.restocked, 120_000);
      i--;
      continue;
    }
    const txid = `${p.name}-${Date.now().toString(36)}-${i}`;
    const r = await p.buyReliably(pick.stall, pick.item, 1, txid);
    console.log(JSON.stringify({ receipt: r }));
    // The inventory (player data) is saved after the charge: its message follows the receipt.
    if (r.status === 'ok') await p.client.waitFor(() => p.state.inventory?.txids.includes(txid) === true).catch(() => undefined);
  }
  console.log(JSON.stringify({ done: p.name, coins: p.state.coins, inventory: p.state.inventory?.items }));
  p.close();
};

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
