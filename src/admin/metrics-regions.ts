/**
 * Region-frame metrics of the admin (src/admin/metrics.ts): the counters of the shared region
 * frames (net option `viewMode: 'regions'`, src/net/region-frames.ts) of every world the game
 * server serves in that mode, read at scrape time from the world's `net` slot. A world in `exact`
 * mode, or not served, has no series.
 */
import { type RegionReport, regionReportOf } from '../net/net-stats.js';
import type { MetricKit } from './metrics-kit.js';

/** Register the region-frame metrics. */
export const registerRegionMetrics = (kit: MetricKit): void => {
  const { gauge, counter, perWorld } = kit;
  const region = (pick: (r: RegionReport) => number) =>
    perWorld((w, put) => {
      const r = regionReportOf(w.net);
      if (r !== null) put({ world: w.id }, pick(r));
    });
  gauge(
    'worldtick_net_region_cell_size',
    'Side of a region cell (world units) of a world replicated by region frames.',
    ['world'],
    region((r) => r.cellSize),
  );
  counter(
    'worldtick_net_region_frames_sent_total',
    'Session-snapshots served by a shared region frame.',
    ['world'],
    region((r) => r.framesSent),
  );
  counter(
    'worldtick_net_region_frames_encoded_total',
    'Region frames encoded (one per cell and replicate run that some session needed).',
    ['world'],
    region((r) => r.framesEncoded),
  );
  counter(
    'worldtick_net_region_dense_cells_total',
    'Cells found over the region-frame entity cap (per replicate run).',
    ['world'],
    region((r) => r.denseCells),
  );
  counter(
    'worldtick_net_region_fallbacks_total',
    'Session-snapshots sent exact instead of a region frame, by reason (dense: cell over the entity cap; sparse: fewer than regionMinPlayers players).',
    ['world', 'reason'],
    perWorld((w, put) => {
      const r = regionReportOf(w.net);
      if (r === null) return;
      put({ world: w.id, reason: 'dense' }, r.denseFallbacks);
      put({ world: w.id, reason: 'sparse' }, r.sparseFallbacks);
    }),
  );
};
