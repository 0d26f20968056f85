/**
 * Interaction chains as data: a named sequence of steps an NPC runs with a target player, each
 * step "wait, then act" (waits in world seconds/minutes/hours/days; acts = raise an intent and/or
 * change needs). Per-chain cooldowns live in `Interaction.cooldown0..3` (one slot per chain,
 * chains beyond 4 share slot `code & 3`). All times are world seconds.
 *
 *   startChain(t0) ─ wait(step0) ─► act(step0) ─ wait(step1) ─► act(step1) ─► … ─► done
 *                                   (chainsAdvanced++)                          cooldown, lastInteractionAt
 */
import { MAX_TIMER_SECONDS } from '../../components/world-time.js';
import { behaviorInvalid } from '../errors.js';
import { INTENT_NAMES, IntentKind, type IntentName } from '../intents/intent-queue.js';
import type { NeedVector } from './activities.js';

/** One step of a chain (plain data). The wait is the sum of the given wait fields. */
export interface ChainStepDef {
  waitSeconds?: number;
  waitMinutes?: number;
  waitHours?: number;
  waitDays?: number;
  /** Intent raised towards the chain's target player when the step acts. */
  intent?: IntentName;
  /** Needs change applied once when the step acts (clamped to 0..1). */
  effects?: NeedVector;
  /**
   * A ledger reward granted to the chain's target player when the step acts (coins and/or an
   * item of the world's catalogue). Granted through the world's ledger (src/ledger/world-ledger.ts),
   * idempotent per (player, chain, NPC, world step).
   */
  reward?: ChainReward;
}

/** What a chain step grants (coins: integer 0..1e9; item with quantity 1..1000). */
export interface ChainReward {
  coins?: number;
  item?: string;
  quantity?: number;
}

/** A reward earned in a step, waiting for the ledger (drained by systems/chain-reward-system.ts). */
export interface ChainGrant {
  npc: number;
  player: number;
  chain: number;
  /** World step when earned. */
  step: number;
  reward: ChainReward;
}

/** A chain (plain data). */
export interface ChainDef {
  name: string;
  /** Nearest player must be within this many world units to start it. */
  range: number;
  /** World seconds after it ends before the same NPC may run it again. */
  cooldownSeconds: number;
  steps: ChainStepDef[];
}

/** Compiled chain table; steps of chain c are `first[c] .. first[c] + length[c]`. */
export interface ChainTable {
  count: number;
  names: readonly string[];
  codes: ReadonlyMap<string, number>;
  range: Float64Array;
  cooldown: Float64Array;
  first: Int32Array;
  length: Int32Array;
  /** Per step (flattened): wait in world seconds, intent code (-1 none), need effects. */
  wait: Float64Array;
  intent: Int16Array;
  effE: Float64Array;
  effH: Float64Array;
  effM: Float64Array;
  /** Per step: the reward granted to the target when it acts, or null (read only when a step acts). */
  reward: Array<ChainReward | null>;
}

/** Number of per-chain cooldown slots in the Interaction store. */
export const COOLDOWN_SLOTS = 4;

/** The default chains: a greeting and a trade offer. */
export const DEFAULT_CHAINS: readonly ChainDef[] = [
  {
    name: 'greet',
    range: 40,
    cooldownSeconds: 2 * 3600,
    steps: [{ intent: 'wave' }, { waitMinutes: 2, intent: 'talk', effects: { mood: 0.05 }, reward: { coins: 1 } }],
  },
  {
    name: 'offer-trade',
    range: 30,
    cooldownSeconds: 6 * 3600,
    steps: [
      { waitMinutes: 5, intent: 'talk' },
      { waitMinutes: 10, intent: 'trade' },
      { waitHours: 1, intent: 'wave', reward: { coins: 5, item: 'arrow', quantity: 2 } },
    ],
  },
];

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Wait of a step in world seconds. */
export const stepWaitSeconds = (s: ChainStepDef): number =>
  (s.waitSeconds ?? 0) + (s.waitMinutes ?? 0) * 60 + (s.waitHours ?? 0) * 3600 + (s.waitDays ?? 0) * 86_400;

/** Validate and compile chain definitions. Throws `WT_ERR_BEHAVIOR_INVALID` listing every problem. */
export const compileChains = (defs: readonly ChainDef[]): ChainTable => {
  const problems: string[] = [];
  if (!Array.isArray(defs) || defs.length > 255) problems.push('chains must be an array of at most 255 definitions');
  const list = Array.isArray(defs) ? defs : [];
  const codes = new Map<string, number>();
  let total = 0;
  list.forEach((d, i) => {
    const p = `chains[${i}]`;
    if (typeof d !== 'object' || d === null) {
      problems.push(`${p} must be an object`);
      return;
    }
    if (typeof d.name !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(d.name)) problems.push(`${p}.name must be 1-32 of a-z 0-9 _ -`);
    else if (codes.has(d.name)) problems.push(`${p}.name ${d.name} is duplicated`);
    else codes.set(d.name, i);
    if (!isNum(d.range) || d.range < 0) problems.push(`${p}.range must be a number >= 0`);
    if (!isNum(d.cooldownSeconds) || d.cooldownSeconds < 0) problems.push(`${p}.cooldownSeconds must be a number >= 0`);
    else if (d.cooldownSeconds > MAX_TIMER_SECONDS)
      problems.push(`${p}.cooldownSeconds must be <= ${MAX_TIMER_SECONDS} (about 97 world days)`);
    if (!Array.isArray(d.steps) || d.steps.length < 1 || d.steps.length > 255) {
      problems.push(`${p}.steps must be an array of 1..255 steps`);
      return;
    }
    (d.steps as ChainStepDef[]).forEach((s: ChainStepDef, j: number) => {
      const q = `${p}.steps[${j}]`;
      for (const k of ['waitSeconds', 'waitMinutes', 'waitHours', 'waitDays'] as const)
        if (s[k] !== undefined && (!isNum(s[k]) || s[k] < 0)) problems.push(`${q}.${k} must be a number >= 0`);
      if (stepWaitSeconds(s) > MAX_TIMER_SECONDS) problems.push(`${q} waits more than ${MAX_TIMER_SECONDS} world seconds (about 97 days)`);
      if (s.intent !== undefined && !(s.intent in IntentKind)) problems.push(`${q}.intent must be one of ${INTENT_NAMES.join(', ')}`);
      if (s.effects !== undefined)
        for (const [k, v] of Object.entries(s.effects))
          if (!['energy', 'hunger', 'mood'].includes(k) || !isNum(v)) problems.push(`${q}.effects.${k} must be a need with a number`);
      if (s.reward !== undefined) {
        const r = s.reward;
        const int = (v: unknown, lo: number, hi: number): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
        if (typeof r !== 'object' || r === null) problems.push(`${q}.reward must be an object { coins?, item?, quantity? }`);
        else {
          if (r.coins !== undefined && !int(r.coins, 0, 1e9)) problems.push(`${q}.reward.coins must be an integer 0..1000000000`);
          if (r.item !== undefined && (typeof r.item !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.item)))
            problems.push(`${q}.reward.item must be a catalogue item id`);
          if (r.quantity !== undefined && (r.item === undefined || !int(r.quantity, 1, 1000)))
            problems.push(`${q}.reward.quantity must be an integer 1..1000 with an item`);
          if (!r.coins && r.item === undefined) problems.push(`${q}.reward must grant coins or an item`);
        }
      }
    });
    total += d.steps.length;
  });
  if (problems.length) throw behaviorInvalid(problems);
  const n = list.length;
  const t: ChainTable = {
    count: n,
    names: list.map((d) => d.name),
    codes,
    range: new Float64Array(n),
    cooldown: new Float64Array(n),
    first: new Int32Array(n),
    length: new Int32Array(n),
    wait: new Float64Array(total),
    intent: new Int16Array(total),
    effE: new Float64Array(total),
    effH: new Float64Array(total),
    effM: new Float64Array(total),
    reward: new Array<ChainReward | null>(total).fill(null),
  };
  let k = 0;
  list.forEach((d, i) => {
    t.range[i] = d.range;
    t.cooldown[i] = d.cooldownSeconds;
    t.first[i] = k;
    t.length[i] = d.steps.length;
    for (const s of d.steps) {
      t.wait[k] = stepWaitSeconds(s);
      t.intent[k] = s.intent === undefined ? -1 : IntentKind[s.intent as IntentName];
      t.effE[k] = s.effects?.energy ?? 0;
      t.effH[k] = s.effects?.hunger ?? 0;
      t.effM[k] = s.effects?.mood ?? 0;
      t.reward[k] = s.reward ? { ...s.reward } : null;
      k++;
    }
  });
  return t;
};
