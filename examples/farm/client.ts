/**
 * A headless farmer on the client API (`worldtick/client`): joins, tracks its wallet (`wallet`
 * messages) and the farm's server messages, and sends plant / harvest / buy / scarecrow. Tests use
 * it; a game client would do the same.
 */
import { MsgType, type WalletMsg, type WebSocketCtor, WorldtickClient } from '../../src/client/index.js';
import {
  type EatenMsg,
  type FarmMsg,
  type HarvestedMsg,
  KIND,
  MSG,
  OUT,
  type ReceiptMsg,
  type RefusedMsg,
  PlotState,
  SEED,
} from './rules.js';

export class FarmPlayer {
  readonly client: WorldtickClient;
  coins: number | null = null;
  /** Every server message of the farm received, in order. */
  readonly log: { name: string; payload: unknown }[] = [];
  playerId = 0;

  constructor(
    readonly url: string,
    readonly name: string,
    WebSocket: WebSocketCtor,
    readonly token = `farm-${name}`,
  ) {
    this.client = new WorldtickClient({ url, WebSocket });
    this.client.on((m) => {
      if (m.type === MsgType.WALLET) this.coins = (m as WalletMsg).coins;
      if (m.type === MsgType.MESSAGE) this.log.push({ name: m.name, payload: m.payload });
    });
  }

  /**
   * Connect and join world "1" (with `resumeToken`: resume that session); resolves with the farm's
   * `farm` message once the plots are in, or null for a resumed session (its plots stayed).
   */
  async join(timeoutMs = 5000, resumeToken: string | null = null): Promise<FarmMsg | null> {
    const from = this.log.length;
    await this.client.connect();
    const w = await this.client.join('1', this.name, this.token, resumeToken, timeoutMs);
    this.playerId = w.playerId;
    if (w.resumed) return null;
    return this.next<FarmMsg>(OUT.farm, from, timeoutMs);
  }

  /** The first message `name` received at or after log index `from` (waits for it). */
  async next<P>(name: string, from = 0, timeoutMs = 5000, pred: (p: P) => boolean = () => true): Promise<P> {
    const find = (): P | undefined => {
      for (let i = from; i < this.log.length; i++) {
        const m = this.log[i];
        if (m && m.name === name && pred(m.payload as P)) return m.payload as P;
      }
      return undefined;
    };
    await this.client.waitFor(() => find() !== undefined, timeoutMs);
    return find() as P;
  }

  /** The plot entities of this player in view, by index. */
  plots(): Map<number, { id: number; state: number; readyAt: number; scarecrow: number }> {
    const out = new Map<number, { id: number; state: number; readyAt: number; scarecrow: number }>();
    for (const e of this.client.view.entities.values()) {
      if (e.kind !== KIND.plot || e.fields?.owner !== this.playerId) continue;
      out.set(e.fields.index ?? 0, {
        id: e.id,
        state: e.fields.state ?? 0,
        readyAt: e.fields.readyAt ?? 0,
        scarecrow: e.fields.scarecrow ?? 0,
      });
    }
    return out;
  }

  /** Buy seeds; resolves with this txid's receipt. */
  async buy(txid: string, quantity: number, timeoutMs = 5000): Promise<ReceiptMsg> {
    const from = this.log.length;
    this.client.sendMessage(MSG.buy, { txid, quantity });
    return this.next<ReceiptMsg>(OUT.receipt, from, timeoutMs, (r) => r.txid === txid);
  }

  /** Plant on `plot`; resolves once the plot shows a new crop, or with the refusal. */
  async plant(plot: number, timeoutMs = 5000): Promise<'planted' | RefusedMsg> {
    const before = this.plots().get(plot)?.readyAt ?? 0;
    this.client.sendMessage(MSG.plant, { plot });
    let refused: RefusedMsg | undefined;
    const unsub = this.client.onMessage<RefusedMsg>(OUT.refused, (r) => {
      if (r.what === MSG.plant && r.plot === plot) refused = r;
    });
    const shown = (): boolean => {
      const p = this.plots().get(plot);
      return p !== undefined && p.readyAt !== before && (p.state === PlotState.growing || p.state === PlotState.ripe);
    };
    try {
      await this.client.waitFor(() => refused !== undefined || shown(), timeoutMs);
    } finally {
      unsub();
    }
    return refused ?? 'planted';
  }

  /** Harvest `plot`; resolves with its `harvested` message or the refusal. */
  async harvest(plot: number, timeoutMs = 5000): Promise<HarvestedMsg | RefusedMsg> {
    const from = this.log.length;
    this.client.sendMessage(MSG.harvest, { plot });
    await this.client.waitFor(
      () =>
        this.log
          .slice(from)
          .some((m) => (m.name === OUT.harvested || m.name === OUT.refused) && (m.payload as { plot: number }).plot === plot),
      timeoutMs,
    );
    const m = this.log
      .slice(from)
      .find((x) => (x.name === OUT.harvested || x.name === OUT.refused) && (x.payload as { plot: number }).plot === plot);
    return m?.payload as HarvestedMsg | RefusedMsg;
  }

  scarecrow(plot: number, on: boolean): void {
    this.client.sendMessage(MSG.scarecrow, { plot, on });
  }

  eaten(): EatenMsg[] {
    return this.log.filter((m) => m.name === OUT.eaten).map((m) => m.payload as EatenMsg);
  }

  close(): void {
    this.client.close();
  }
}

export { SEED };
