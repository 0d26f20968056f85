/**
 * The `ledger` block of the server config file, validated once at start with messages that name
 * the path: `{ catalogue: [{ id, price }], rateLimit: { perSecond, burst }, recordedRefusals: { burst, perMinute, retentionHours },
 * flushDelayMs, deadlineMs, anonymousStartingCoins }`.
 * Every key is optional. The quantity bound is fixed (1000, `TX_BAD_QUANTITY`): `maxQuantity` is refused.
 */
import { optionInvalid } from '../errors.js';
import type { AttachLedgerOptions } from './world-ledger.js';

/** Ledger settings (what {@link parseLedgerOptions} returns, minus the store). */
export type LedgerSettings = Omit<AttachLedgerOptions, 'store'>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Validate a ledger block; throws WT_ERR_OPTION_INVALID listing every problem. */
export const parseLedgerOptions = (raw: unknown): LedgerSettings => {
  if (raw === undefined || raw === null) return {};
  const problems: string[] = [];
  if (!isObj(raw)) throw optionInvalid(['ledger must be an object']);
  const out: LedgerSettings = {};
  for (const [k, v] of Object.entries(raw)) {
    switch (k) {
      case 'catalogue':
        out.catalogue = v; // validated by createCatalogue (WT_ERR_CATALOGUE_INVALID lists every item problem)
        break;
      case 'flushDelayMs':
        if (!num(v, 0, 1000)) problems.push('ledger.flushDelayMs must be a number between 0 and 1000');
        else out.flushDelayMs = v as number;
        break;
      case 'anonymousStartingCoins':
        // The bounds of startingCoins (--starting-coins); 0 = no start-grant entry for anonymous players.
        if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > 1_000_000_000)
          problems.push('ledger.anonymousStartingCoins must be an integer between 0 and 1000000000 (0 = none)');
        else out.anonymousStartingCoins = v as number;
        break;
      case 'deadlineMs':
        if (!num(v, 10, 60_000)) problems.push('ledger.deadlineMs must be a number between 10 and 60000');
        else out.deadlineMs = v as number;
        break;
      case 'rateLimit': {
        if (!isObj(v)) {
          problems.push('ledger.rateLimit must be an object { perSecond, burst }');
          break;
        }
        const rl: { perSecond?: number; burst?: number } = {};
        if (v.perSecond !== undefined) {
          if (!num(v.perSecond, 0, 1e6)) problems.push('ledger.rateLimit.perSecond must be a number between 0 and 1000000 (0 = unlimited)');
          else rl.perSecond = v.perSecond as number;
        }
        if (v.burst !== undefined) {
          if (!num(v.burst, 1, 1e6)) problems.push('ledger.rateLimit.burst must be a number between 1 and 1000000');
          else rl.burst = v.burst as number;
        }
        for (const kk of Object.keys(v))
          if (kk !== 'perSecond' && kk !== 'burst') problems.push(`ledger.rateLimit.${kk} is not a known setting`);
        out.rateLimit = rl;
        break;
      }
      case 'recordedRefusals': {
        if (!isObj(v)) {
          problems.push('ledger.recordedRefusals must be an object { burst, perMinute, retentionHours }');
          break;
        }
        const rr: { burst?: number; perMinute?: number; retentionHours?: number } = {};
        if (v.burst !== undefined) {
          if (!num(v.burst, 0, 1e6))
            problems.push('ledger.recordedRefusals.burst must be a number between 0 and 1000000 (0 = never record)');
          else rr.burst = v.burst as number;
        }
        if (v.perMinute !== undefined) {
          if (!num(v.perMinute, 0.001, 1e6)) problems.push('ledger.recordedRefusals.perMinute must be a number between 0.001 and 1000000');
          else rr.perMinute = v.perMinute as number;
        }
        if (v.retentionHours !== undefined) {
          if (!num(v.retentionHours, 0, 87_600))
            problems.push('ledger.recordedRefusals.retentionHours must be a number between 0 and 87600 (0 = keep forever)');
          else rr.retentionHours = v.retentionHours as number;
        }
        for (const kk of Object.keys(v))
          if (kk !== 'burst' && kk !== 'perMinute' && kk !== 'retentionHours')
            problems.push(`ledger.recordedRefusals.${kk} is not a known setting`);
        out.recordedRefusals = rr;
        break;
      }
      default:
        problems.push(`ledger.${k} is not a known setting`);
    }
  }
  if (problems.length) throw optionInvalid(problems);
  return out;
};
