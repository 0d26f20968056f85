/**
 * The world list of cluster mode (`GET /api/v1/worlds`, docs/CLUSTER.md): this instance's worlds
 * with their owner, plus the worlds only other instances hold, whole or a page (docs/ADMIN.md
 * "World routes"); and whether a local copy of a world is a standby.
 */
import type { RouteResponse } from '../admin/index.js';
import { compareIds, pageFields, type WorldsPage } from '../admin/worlds-page.js';
import type { ClusterService } from './cluster-service.js';

/**
 * Whether this instance's copy of `worldId` is a standby: cluster mode, and another instance owns
 * the world (as of the last control tick) — so it does not step here. A world nobody can be seen
 * to own (a partition, a lapsed lease) is not a standby: it should step here or somewhere.
 */
export const isStandbyCopy = (cluster: ClusterService, worldId: string): boolean => {
  if (!cluster.enforce) return false;
  const owner = cluster.ownerOf(worldId);
  return owner !== null && owner.instanceId !== cluster.instanceId;
};

/**
 * `GET /api/v1/worlds` in cluster mode: local summaries with their owner, plus worlds only other
 * instances hold. With a page (`limit` / `after`), `local` is the local route's page of this
 * instance's worlds: the merged page is its worlds and the other instances' after `after`, sorted,
 * the first `limit` — right because the local worlds among them are the first `limit` local ones
 * after `after`, which is the local page. `total` counts both.
 */
export const listClusterWorlds = (
  cluster: ClusterService,
  local: RouteResponse,
  hasWorld: (worldId: string) => boolean,
  page: WorldsPage | null,
): RouteResponse => {
  const json = local.json as { worlds?: Array<Record<string, unknown>>; next?: string; total?: number } | undefined;
  const worlds: Array<Record<string, unknown>> = (json?.worlds ?? []).map((w) => {
    const owner = cluster.ownerOf(String(w.id));
    return {
      ...w,
      owner: owner?.instanceId ?? null,
      fencingToken: owner?.fencingToken ?? null,
      ownedHere: owner?.instanceId === cluster.instanceId,
      // This instance's copy does not step (another owns it): its step, world time and costs are stale.
      standby: isStandbyCopy(cluster, String(w.id)),
      ...(owner && owner.instanceId !== cluster.instanceId ? { ownerAdminUrl: owner.adminUrl } : {}),
    };
  });
  const seen = new Set(worlds.map((w) => String(w.id)));
  let elsewhere = 0;
  for (const l of cluster.view().leases) {
    // A page lists only some of this instance's worlds: the others are on their own pages.
    if (seen.has(l.worldId) || (page !== null && hasWorld(l.worldId))) continue;
    seen.add(l.worldId);
    elsewhere++;
    if (page?.after !== undefined && !(l.worldId > page.after)) continue;
    const owner = cluster.ownerOf(l.worldId);
    worlds.push({
      id: l.worldId,
      owner: l.instanceId,
      fencingToken: l.fencingToken,
      ownedHere: false,
      ownerAdminUrl: owner?.adminUrl ?? null,
    });
  }
  worlds.sort((a, b) => compareIds(String(a.id), String(b.id)));
  if (page === null) return { ...local, json: { ...json, worlds, instance: cluster.instanceId } };
  const listed = worlds.slice(0, page.limit);
  const more = worlds.length > page.limit || json?.next !== undefined;
  const paged: Record<string, unknown> = { ...json, worlds: listed, instance: cluster.instanceId };
  delete paged.next;
  const ids = listed.map((w) => String(w.id));
  return { ...local, json: { ...paged, ...pageFields(ids, more, (json?.total ?? 0) + elsewhere) } };
};
