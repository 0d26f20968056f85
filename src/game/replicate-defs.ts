/**
 * A game's replicated fields (`defineGame`'s `replicate`): per wire kind (`player` or an NPC kind code),
 * component fields sent with every entity of that kind, checked against the game's components.
 */
import { PLAYER_KIND } from '../net/protocol.js';
import { MAX_CUSTOM_FIELDS } from '../net/replicated-fields.js';
import { componentProblems, type ComponentDef } from './components.js';

/** One replicated field: a component field sent as `round(value × scale)` (an int32/uint32 on the wire). */
export interface ReplicatedFieldDef {
  component: ComponentDef;
  field: string;
  /** Wire units per unit (default 1: integers as they are; 100 sends two decimals). */
  scale?: number;
}

/** Wire kind names: `player` (65535), or an NPC/entity kind code `0..65534` (as a string key). */
export type KindKey = 'player' | `${number}`;

const kindCode = (key: string): number | null => {
  if (key === 'player') return PLAYER_KIND;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < PLAYER_KIND && String(n) === key ? n : null;
};

/**
 * The replicated fields by kind code, each problem pushed to `problems` (a bad kind, a field of a component
 * not among the game's `components` — their names in `components` — or without that field, a bad scale,
 * more than {@link MAX_CUSTOM_FIELDS} per kind).
 */
export const compileReplicate = (
  replicate: Partial<Record<KindKey, Record<string, ReplicatedFieldDef>>> | undefined,
  components: ReadonlySet<string>,
  problems: string[],
): Map<number, { name: string; def: ReplicatedFieldDef }[]> => {
  const out = new Map<number, { name: string; def: ReplicatedFieldDef }[]>();
  for (const [key, fields] of Object.entries(replicate ?? {})) {
    const kind = kindCode(key);
    if (kind === null) {
      problems.push(`replicate.${key}: kind must be "player" or an integer 0..65534`);
      continue;
    }
    const list: { name: string; def: ReplicatedFieldDef }[] = [];
    for (const [name, f] of Object.entries(fields ?? {})) {
      const where = `replicate.${key}.${name}`;
      if (!f || typeof f !== 'object' || componentProblems(f.component).length > 0) {
        problems.push(`${where}: needs { component, field } (a component of defineComponent)`);
        continue;
      }
      if (!components.has(f.component.name)) problems.push(`${where}: component ${f.component.name} is not in the game's components`);
      // Own fields only: `in` found `constructor` or `toString` on the prototype, and accepted them.
      if (typeof f.field !== 'string' || !Object.hasOwn(f.component.fields, f.field))
        problems.push(`${where}: component ${f.component.name} has no field ${JSON.stringify(f.field)}`);
      if (f.scale !== undefined && (typeof f.scale !== 'number' || !Number.isFinite(f.scale) || f.scale <= 0))
        problems.push(`${where}: scale must be a number > 0`);
      list.push({ name, def: f });
    }
    if (list.length > MAX_CUSTOM_FIELDS) problems.push(`replicate.${key}: at most ${MAX_CUSTOM_FIELDS} fields per kind`);
    if (list.length) out.set(kind, list);
  }
  return out;
};
