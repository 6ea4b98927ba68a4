/**
 * Brings a running HAProxy's live state back in line with the desired state (PostgreSQL's):
 * the host map entries, and each app's ready slots. Meant for worker start and every reconcile
 * pass; it never reloads, it says when a reload is needed (an app whose backend HAProxy does not
 * have yet, or one it has that is gone). Slots a switch left draining are left to that switch.
 */
import type { TrafficRouter } from '../engine/engine.js';
import { endpointOf } from './endpoint.js';
import { backendName, type IngressApp } from './haproxy-config.js';
import type { RuntimeApi } from './runtime-api.js';

export interface ConvergeReport {
  /** Map entries added, changed or removed. */
  mapChanges: number;
  /** Endpoints routed to, or taken out of, apps' backends. */
  slotChanges: number;
  /** The set of backends differs from the apps: write the config and reload. */
  needsReload: boolean;
}

export function createIngressConverger(options: {
  api: RuntimeApi;
  router: TrafficRouter;
  mapFile: string;
}) {
  const { api, router, mapFile } = options;

  async function convergeMap(apps: IngressApp[], backends: Set<string>): Promise<number> {
    const wanted = new Map<string, string>();
    for (const app of apps) {
      const backend = backendName(app.key);
      // A host of an app HAProxy has no backend for yet would route to nothing: wait for the reload.
      if (backends.has(backend)) for (const host of app.hostnames) wanted.set(host, backend);
    }
    const current = new Map((await api.showMap(mapFile)).map((e) => [e.key, e.value]));
    let changes = 0;
    for (const [host, backend] of wanted) {
      if (current.get(host) === backend) continue;
      await api.setMapEntry(mapFile, host, backend);
      changes += 1;
    }
    for (const host of current.keys()) {
      if (wanted.has(host)) continue;
      await api.deleteMapEntry(mapFile, host);
      changes += 1;
    }
    return changes;
  }

  return {
    async converge(apps: IngressApp[]): Promise<ConvergeReport> {
      const backends = new Set(
        (await api.showStat())
          .filter((row) => row.server === 'BACKEND' && row.proxy.startsWith('app_'))
          .map((row) => row.proxy),
      );
      const wantedBackends = new Set(apps.map((app) => backendName(app.key)));
      const needsReload =
        backends.size !== wantedBackends.size || [...wantedBackends].some((b) => !backends.has(b));
      const mapChanges = await convergeMap(apps, backends);
      let slotChanges = 0;
      for (const app of apps) {
        if (!backends.has(backendName(app.key))) continue;
        const result = await router.route(app.key, app.live.map(endpointOf));
        slotChanges += result.added + result.draining;
      }
      return { mapChanges, slotChanges, needsReload };
    },
  };
}
