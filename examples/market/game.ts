/**
 * The market: a small persistent trading game on the public API only (`worldtick`).
 *
 * - Merchants are NPC entities (kind {@link MERCHANT_KIND}) at fixed stalls with a `Merchant` and a
 *   `Stock` component; both fields are replicated, so every client near a stall sees its stock.
 * - A client buys with the `buy { stall, item, quantity, txid }` message. The handler checks the
 *   game's rules (stall, item, range, stock), **reserves** the stock and charges the player through
 *   the ledger with `purchaseForPlayer` (key = the client's `txid`: a retry after a dropped
 *   connection is charged once). The ledger's answer comes back into the world as the `settle`
 *   fact (`deliverToWorld`), applied in the next step, so stock is only changed inside a step and
 *   an input log (`--record`) holds the answer: a replay re-applies it. The buyer gets a `receipt`.
 * - The inventory is player data (`market.inventory`, updated once per txid), sent to the player
 *   at join and after each purchase as an `inventory` message.
 * - A repeating world-time timer restocks every stall and announces it with `restocked`
 *   (`broadcastNear` the merchant).
 *
 *   buy ─► reserve (stock −= q, timer `reservation` holds {player, txid}) ─► purchaseForPlayer
 *     ledger answer ─► fact `settle` (next step) ─► ok: keep · rejected: stock += q ─► receipt
 *     ok ─► updatePlayerData(inventory, once per txid) ─► inventory message
 *   a `reservation` still pending after {@link RESERVATION_SECONDS} (its answer was lost with a
 *   crashed process) resubmits the same key: the ledger replays or decides it, once
 */
import {
  addComponent,
  broadcastNear,
  clearWorldTimer,
  defineComponent,
  defineFact,
  defineGame,
  defineMessage,
  defineServerMessage,
  deliverToWorld,
  type GameDefinition,
  type GameWorld,
  getStore,
  hasComponent,
  loadPlayerData,
  nextRange,
  pendingWorldTimers,
  playerEntityOf,
  playerIdOf,
  purchaseForPlayer,
  query,
  sendToPlayer,
  setWorldTimer,
  spawn,
  Type,
  updatePlayerData,
} from '../../src/index.js';
import {
  BUY_RANGE,
  CATALOGUE,
  type Inventory,
  MarketCode,
  MAX_QUANTITY,
  MERCHANT_KIND,
  MSG,
  PLAZA,
  priceOf,
  RECEIPTS_KEPT,
  type Receipt,
  STARTING_COINS,
  STALLS,
  stallOf,
  TXID_PATTERN,
  WORLD_SIZE,
} from './rules.js';

/** A merchant's stall number (see rules.ts `STALLS`). */
export const Merchant = defineComponent('Merchant', { stall: 'u8' });
/** Units left of the stall's two items (`sells[0]`, `sells[1]`). */
export const Stock = defineComponent('Stock', { s0: 'u16', s1: 'u16' });

/** Player-data key of the inventory. */
export const INVENTORY_KEY = 'market.inventory';
/** World seconds a reservation waits for the ledger's answer before it resubmits the same key. */
export const RESERVATION_SECONDS = 5;

const buy = defineMessage({
  name: MSG.buy,
  schema: Type.Object(
    {
      stall: Type.Integer({ minimum: 1, maximum: 255 }),
      item: Type.String({ minLength: 1, maxLength: 16 }),
      quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY }),
      txid: Type.String({ pattern: TXID_PATTERN }),
    },
    { additionalProperties: false },
  ),
  apply: (world, player, m) => onBuy(world, player, m),
});

const receiptMsg = defineServerMessage({
  name: MSG.receipt,
  schema: Type.Object({
    txid: Type.String(),
    status: Type.Union([Type.Literal('ok'), Type.Literal('rejected')]),
    code: Type.Union([Type.String(), Type.Null()]),
    stall: Type.Integer(),
    item: Type.String(),
    quantity: Type.Integer(),
    coins: Type.Union([Type.Number(), Type.Null()]),
    replayed: Type.Boolean(),
  }),
  maxBytes: 256,
});

const inventoryMsg = defineServerMessage({
  name: MSG.inventory,
  schema: Type.Object({ items: Type.Record(Type.String(), Type.Integer()), txids: Type.Array(Type.String()) }),
  maxBytes: 4096,
});

const restockedMsg = defineServerMessage({
  name: MSG.restocked,
  schema: Type.Object({ stall: Type.Integer(), stock: Type.Tuple([Type.Integer(), Type.Integer()]), round: Type.Integer() }),
  maxBytes: 128,
});

/** A stock reservation, held as the payload of a `reservation` timer until the ledger answered. */
interface Reservation {
  /** The buyer's durable player id (its entity changes across a restart). */
  pid: string;
  txid: string;
  stall: number;
  slot: 0 | 1;
  quantity: number;
  /** Submissions of this key made while the reservation held (a replayed answer to a later one is ours). */
  submits: number;
}

/** A ledger answer brought back into the step (payload of the `settle` fact). */
interface Settlement {
  pid: string;
  txid: string;
  stall: number;
  item: string;
  quantity: number;
  status: 'ok' | 'rejected';
  code: string | null;
  coins: number | null;
  replayed: boolean;
}

const merchantOf = (world: GameWorld, stall: number): number | undefined => {
  const m = getStore(world, Merchant).stall;
  for (const e of query(world, [Merchant, Stock])) if (m[e] === stall) return e;
  return undefined;
};

const stockField = (world: GameWorld, slot: 0 | 1) => (slot === 0 ? getStore(world, Stock).s0 : getStore(world, Stock).s1);

const reservationOf = (world: GameWorld, pid: string, txid: string): { id: number; r: Reservation } | undefined => {
  for (const t of pendingWorldTimers(world)) {
    if (t.name !== 'reservation') continue;
    const r = t.payload as Reservation;
    if (r.pid === pid && r.txid === txid) return { id: t.id, r };
  }
  return undefined;
};

const refuse = (
  world: GameWorld,
  player: number,
  m: { stall: number; item: string; quantity: number; txid: string },
  code: string,
): void => {
  const receipt: Receipt = {
    txid: m.txid,
    status: 'rejected',
    code,
    stall: m.stall,
    item: m.item,
    quantity: m.quantity,
    coins: null,
    replayed: false,
  };
  sendToPlayer(world, player, receiptMsg, receipt);
};

/** Submit the reservation's key to the ledger; its answer comes back as the `settle` fact. */
const submit = (world: GameWorld, r: Reservation, item: string, price: number): void => {
  // Charged by durable id: a reservation resubmitted after a restart finds the buyer offline or on another entity.
  void purchaseForPlayer(world, r.pid, { key: r.txid, item, quantity: r.quantity, expectedPrice: price }).then((res) => {
    const s: Settlement = {
      pid: r.pid,
      txid: r.txid,
      stall: r.stall,
      item,
      quantity: r.quantity,
      status: res.status,
      code: res.code,
      coins: res.coins,
      replayed: res.replayed,
    };
    // Outside a step here: the world is changed by the fact, inside the next step. A full queue
    // (false) loses nothing: the reservation timer resubmits the same key and the ledger replays it.
    deliverToWorld(world, settleFact, s);
  });
};

const onBuy = (world: GameWorld, player: number, m: { stall: number; item: string; quantity: number; txid: string }): void => {
  const pid = playerIdOf(world, player);
  if (pid === null) return; // no store: nothing to charge (a replay binds the recorded ids)
  const stall = stallOf(m.stall);
  const eid = merchantOf(world, m.stall);
  if (!stall || eid === undefined) return refuse(world, player, m, MarketCode.NO_SUCH_STALL);
  const slot = stall.sells.indexOf(m.item as never);
  const price = priceOf(m.item);
  if ((slot !== 0 && slot !== 1) || price === undefined) return refuse(world, player, m, MarketCode.NOT_SOLD_HERE);
  // A retry of a transaction still waiting for the ledger: submit the same key again (it joins or replays).
  const held = reservationOf(world, pid, m.txid);
  if (held) {
    clearWorldTimer(world, held.id);
    const r: Reservation = { ...held.r, submits: held.r.submits + 1 };
    setWorldTimer(world, RESERVATION_SECONDS, 'reservation', r);
    return submit(world, r, m.item, price);
  }
  const { x, y } = world.stores.Position;
  if (Math.hypot((x[player] ?? 0) - (x[eid] ?? 0), (y[player] ?? 0) - (y[eid] ?? 0)) > BUY_RANGE)
    return refuse(world, player, m, MarketCode.TOO_FAR);
  const stock = stockField(world, slot);
  if ((stock[eid] ?? 0) < m.quantity) return refuse(world, player, m, MarketCode.SOLD_OUT);
  stock[eid] = (stock[eid] ?? 0) - m.quantity;
  const r: Reservation = { pid, txid: m.txid, stall: m.stall, slot, quantity: m.quantity, submits: 1 };
  setWorldTimer(world, RESERVATION_SECONDS, 'reservation', r);
  submit(world, r, m.item, price);
};

/** Give reserved units back to the stall (never above its full stock). */
const release = (world: GameWorld, r: Reservation): void => {
  const stall = stallOf(r.stall);
  const eid = merchantOf(world, r.stall);
  if (!stall || eid === undefined) return;
  const stock = stockField(world, r.slot);
  stock[eid] = Math.min(stall.full[r.slot], (stock[eid] ?? 0) + r.quantity);
};

const sendInventory = (world: GameWorld, eid: number | undefined, pid: string, inv: Inventory): void => {
  if (eid !== undefined && playerIdOf(world, eid) === pid) sendToPlayer(world, eid, inventoryMsg, inv);
};

const addToInventory = (cur: unknown, s: Settlement): Inventory => {
  const inv = (cur as Inventory | undefined) ?? { items: {}, txids: [] };
  if (inv.txids.includes(s.txid)) return inv; // applied once per transaction id
  const items = { ...inv.items, [s.item]: (inv.items[s.item] ?? 0) + s.quantity };
  return { items, txids: [...inv.txids, s.txid].slice(-RECEIPTS_KEPT) };
};

const settle = (world: GameWorld, s: Settlement): void => {
  const held = reservationOf(world, s.pid, s.txid);
  if (held) {
    clearWorldTimer(world, held.id);
    // Rejected: the units go back. Replayed to the reservation's first and only submission: the
    // transaction was settled before this reservation was made (a retry after its receipt was lost).
    if (s.status !== 'ok' || (s.replayed && held.r.submits === 1)) release(world, held.r);
  }
  const { pid: _pid, ...receipt } = s;
  const buyer = playerEntityOf(world, s.pid) ?? undefined;
  if (buyer !== undefined) sendToPlayer(world, buyer, receiptMsg, receipt satisfies Receipt);
  if (s.status !== 'ok') return;
  void updatePlayerData(world, s.pid, INVENTORY_KEY, (cur) => addToInventory(cur, s)).then((r) => {
    if (r.status === 'ok') sendInventory(world, playerEntityOf(world, s.pid) ?? undefined, s.pid, r.value as Inventory);
  });
};

/** The ledger's answer to a reservation's purchase, applied inside the step after it arrived. */
const settleFact = defineFact<Settlement>({ name: 'settle', apply: settle, maxBytes: 512 });

const restock = (world: GameWorld, due: number, every: number): void => {
  const st = getStore(world, Merchant).stall;
  const round = Math.round(due / every);
  for (const e of query(world, [Merchant, Stock])) {
    const stall = stallOf(st[e] ?? 0);
    if (!stall) continue;
    const s0 = getStore(world, Stock).s0,
      s1 = getStore(world, Stock).s1;
    if ((s0[e] ?? 0) >= stall.full[0] && (s1[e] ?? 0) >= stall.full[1]) continue;
    s0[e] = Math.max(s0[e] ?? 0, stall.full[0]);
    s1[e] = Math.max(s1[e] ?? 0, stall.full[1]);
    broadcastNear(world, e, restockedMsg, { stall: stall.stall, stock: [s0[e] ?? 0, s1[e] ?? 0], round });
  }
};

/** Options of {@link createMarketGame}. */
export interface MarketOptions {
  /** World seconds between restocks (default 60). */
  restockSeconds?: number;
}

/** The market game definition. */
export const createMarketGame = (opts: MarketOptions = {}): GameDefinition => {
  const every = opts.restockSeconds ?? 60;
  return defineGame({
    name: 'market',
    // timeScale 1 is a game's default, stated: restocks and reservations are in wall seconds.
    world: { size: WORLD_SIZE, npcs: 0, physics: 'off', config: { simulation: { timeScale: 1 } } },
    // Sales go through the stalls' stock (buy → purchaseForPlayer): the protocol's purchase frame, which
    // no stock or range check would see, is closed (answered TX_CLIENT_PURCHASES_OFF).
    clientPurchases: false,
    components: [Merchant, Stock],
    messages: [buy],
    serverMessages: [receiptMsg, inventoryMsg, restockedMsg],
    replicate: {
      [`${MERCHANT_KIND}`]: {
        stall: { component: Merchant, field: 'stall' },
        s0: { component: Stock, field: 's0' },
        s1: { component: Stock, field: 's1' },
      },
    },
    // The ledger's catalogue and the starting coins (a config file's `ledger.catalogue` / `startingCoins` win).
    catalogue: CATALOGUE,
    startingCoins: STARTING_COINS,
    facts: [settleFact],
    timers: [
      { name: 'restock', every, run: (world, _ctx, t) => restock(world, t.due, every) },
      {
        // Still pending: the ledger's answer was lost (the process that submitted it died). Submit the
        // same key again: a committed purchase replays, an unrecorded one is decided now.
        name: 'reservation',
        run: (world, _ctx, t) => {
          const r = t.payload as Reservation;
          const stall = stallOf(r.stall);
          const item = stall?.sells[r.slot];
          const price = item === undefined ? undefined : priceOf(item);
          if (item === undefined || price === undefined) return;
          const again: Reservation = { ...r, submits: r.submits + 1 };
          setWorldTimer(world, RESERVATION_SECONDS, 'reservation', again);
          submit(world, again, item, price);
        },
      },
    ],
    hooks: {
      populate: (world) => {
        for (const s of STALLS) {
          const e = spawn(world, { kind: MERCHANT_KIND, x: s.x, y: s.y });
          addComponent(world, e, Merchant, { stall: s.stall });
          addComponent(world, e, Stock, { s0: s.full[0], s1: s.full[1] });
        }
      },
      onPlayerJoined: (world, player, { resumed }) => {
        if (!resumed) {
          world.stores.Position.x[player] = PLAZA.x + nextRange(world.rng, -5, 5);
          world.stores.Position.y[player] = PLAZA.y + nextRange(world.rng, -5, 5);
        }
        const pid = playerIdOf(world, player);
        if (pid === null) return;
        void loadPlayerData(world, player, INVENTORY_KEY).then((r) => {
          if (r.status !== 'ok') return;
          sendInventory(world, player, pid, (r.value as Inventory | undefined) ?? { items: {}, txids: [] });
        });
      },
    },
  });
};

/** The market with the restock period of `MARKET_RESTOCK_SECONDS` (default 60): what main.ts serves and a replay rebuilds. */
export const game = createMarketGame({ restockSeconds: Number(process.env.MARKET_RESTOCK_SECONDS ?? 60) });

/** True for a merchant entity of this game (tests). */
export const isMerchant = (world: GameWorld, eid: number): boolean => hasComponent(world, eid, Merchant);
