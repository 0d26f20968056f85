/**
 * The process's open-file limit versus `maxConnections`. Every WebSocket is a file descriptor;
 * at the limit the kernel's accept() fails, so an extra client is neither accepted nor refused:
 * it stalls (2–5 s measured) with no 503 and nothing logged. Node cannot call setrlimit, so the
 * game server reads the limit at start and caps `maxConnections` below it, keeping a reserve
 * for everything else the process opens (listen sockets, admin HTTP, databases, logs, workers).
 */
import { readFileSync } from 'node:fs';

/** Soft and hard open-file limits (`Infinity` for "unlimited"). */
export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/**
 * Parse the "Max open files" row of /proc/self/limits text (Linux). Returns null when the text
 * has no such row (other platforms, or /proc not mounted).
 */
export const parseOpenFileLimit = (limitsText: string): OpenFileLimit | null => {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!m) return null;
  const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
  const soft = num(m[1]),
    hard = num(m[2]);
  return Number.isNaN(soft) || Number.isNaN(hard) ? null : { soft, hard };
};

/** This process's open-file limit, or null when it cannot be read. */
export const readOpenFileLimit = (path = '/proc/self/limits'): OpenFileLimit | null => {
  try {
    return parseOpenFileLimit(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
};

/** Descriptors kept for the rest of the process: 5% of the soft limit, at least 64. */
export const fdReserve = (soft: number): number => Math.max(64, Math.ceil(soft * 0.05));

/**
 * The connection cap that fits the limit: `min(maxConnections, soft − reserve)`, at least 1.
 * `capped` says whether the configured value had to be lowered.
 */
export const connectionCap = (maxConnections: number, limit: OpenFileLimit | null): { max: number; capped: boolean; reserve: number } => {
  if (!limit || !Number.isFinite(limit.soft)) return { max: maxConnections, capped: false, reserve: 0 };
  const reserve = fdReserve(limit.soft);
  const fit = Math.max(1, limit.soft - reserve);
  return fit < maxConnections ? { max: fit, capped: true, reserve } : { max: maxConnections, capped: false, reserve };
};
