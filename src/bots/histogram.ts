/**
 * Latency histograms of the bots: HDR histograms (hdr-histogram-js) in integer microseconds,
 * 3 significant digits, auto-resizing. Each bots process records its own; they travel between
 * processes as compressed base64 (HdrHistogram's standard encoding) and merge exactly by adding
 * bucket counts, so the merged percentiles are those of one histogram over the union of samples.
 */
import * as hdr from 'hdr-histogram-js';

/** One latency histogram (values in integer microseconds). */
export type LatencyHistogram = hdr.Histogram;

/** Percentiles of a histogram, in wall milliseconds (3 decimals). */
export interface LatencySummary {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** A new empty latency histogram (µs, 3 significant digits, auto-resize). */
export const createLatencyHistogram = (): LatencyHistogram =>
  hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

/**
 * Record one latency given in milliseconds. Negative values (clock granularity: the server's
 * send time and this process's receive time are both `Date.now()` ms) are recorded as 0.
 */
export const recordMs = (h: LatencyHistogram, ms: number): void => {
  h.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
};

/** Compressed base64 form (HdrHistogram V2 encoding) to send to another process or a file. */
export const encodeHistogram = (h: LatencyHistogram): string => hdr.encodeIntoCompressedBase64(h);

/** Inverse of {@link encodeHistogram}. */
export const decodeHistogram = (s: string): LatencyHistogram => {
  const h = hdr.decodeFromCompressedBase64(s, 32, false);
  h.autoResize = true;
  return h;
};

/** Merge encoded histograms into one new histogram (bucket counts added). */
export const mergeHistograms = (encoded: readonly string[]): LatencyHistogram => {
  const out = createLatencyHistogram();
  for (const e of encoded) out.add(decodeHistogram(e));
  return out;
};

const ms = (us: number): number => Math.round(us) / 1000;

/** p50/p90/p99/p99.9/max/mean of a histogram, in milliseconds. */
export const summarize = (h: LatencyHistogram): LatencySummary => {
  const n = h.totalCount;
  if (n === 0) return { samples: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    samples: n,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    // The top bucket's highest equivalent value: the same whether or not the histogram was encoded.
    max: ms(h.getValueAtPercentile(100)),
    mean: ms(h.mean),
  };
};
