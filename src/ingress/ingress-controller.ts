/**
 * Keeps one HAProxy in line with PostgreSQL. sync(): read the desired state, write haproxy.cfg
 * and the host map when they changed (atomically; a HAProxy restarted from them comes back with
 * the right routes), reload only when the set of apps changed, converge the live state (map
 * entries, ready slots) and free slots a crash left draining. Deploys never reload: the router
 * given to the pipeline switches through the runtime API, and syncs first only for an app
 * HAProxy has no backend for yet. Syncs and switches run one at a time.
 */
import type { TrafficRouter } from '../engine/engine.js';
import { createIngressConverger } from './converge.js';
import { desiredIngressApps, type RoutedApp } from './desired-state.js';
import { finishDrains } from './finish-drains.js';
import { readOptional } from './leftover-haproxy.js';
import {
  renderHaproxyConfig,
  renderHostMap,
  type IngressApp,
  type IngressSettings,
} from './haproxy-config.js';
import { createHaproxyRouter } from './haproxy-router.js';
import type { RuntimeApi } from './runtime-api.js';
import { createSerial } from './serial.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What the controller reads from the source of truth (src/db/ingress-state-reader.ts). */
export interface IngressStateSource {
  routedApps(): Promise<RoutedApp[]>;
  /** Ids of the apps with a deployment running now. */
  deployingAppIds(): Promise<Set<string>>;
}

export interface IngressControllerOptions {
  source: IngressStateSource;
  api: RuntimeApi;
  /** Makes HAProxy re-read haproxy.cfg and the map; resolves once the new worker answers. */
  reload: () => Promise<void>;
  configFile: string;
  settings: IngressSettings;
  baseDomain: string | null;
  /** Server slots per app backend: the live set and a candidate set side by side (default 2). */
  slotsPerApp?: number;
}

export interface IngressSyncReport {
  /** haproxy.cfg and hosts.map written (0-2). */
  filesWritten: number;
  reloaded: boolean;
  mapChanges: number;
  slotChanges: number;
  /** Draining slots put in maintenance (see finish-drains.ts). */
  drainsFinished: number;
}

export function createIngressController(options: IngressControllerOptions) {
  const { api, settings } = options;
  const router = createHaproxyRouter({ api });
  const converger = createIngressConverger({ api, router, mapFile: settings.mapFile });
  const serial = createSerial();
  /** App keys HAProxy has a backend for, as of the last sync. */
  let loaded = new Set<string>();

  async function writeFiles(apps: IngressApp[]): Promise<number> {
    // The map first: a HAProxy (re)started between the two writes finds every backend it maps to.
    let written = 0;
    if (await writeIfChanged(settings.mapFile, renderHostMap(apps))) written += 1;
    const config = renderHaproxyConfig({ settings, apps });
    if (await writeIfChanged(options.configFile, config)) written += 1;
    return written;
  }

  async function desired(): Promise<IngressApp[]> {
    return desiredIngressApps(await options.source.routedApps(), {
      baseDomain: options.baseDomain,
      slotsPerApp: options.slotsPerApp ?? 2,
    });
  }

  async function syncNow(): Promise<IngressSyncReport> {
    const apps = await desired();
    const filesWritten = await writeFiles(apps);
    let report = await converger.converge(apps);
    const reloaded = report.needsReload;
    if (reloaded) {
      await options.reload();
      report = await converger.converge(apps);
    }
    loaded = new Set(apps.map((app) => app.key));
    const deploying = await options.source.deployingAppIds();
    const drainsFinished = await finishDrains(api, [...loaded], deploying);
    return {
      filesWritten,
      reloaded,
      mapChanges: report.mapChanges,
      slotChanges: report.slotChanges,
      drainsFinished,
    };
  }

  const pipelineRouter: TrafficRouter = {
    route: (app, endpoints) =>
      serial(async () => {
        // An app created after the last reload has no backend yet: load it, then switch.
        if (!loaded.has(app)) await syncNow();
        return router.route(app, endpoints);
      }),
    // Not serialised: a drain waits up to its timeout, and a sync never touches a draining slot
    // of an app being deployed unless it has drained (finish-drains.ts).
    drain: (app, drainOptions) => router.drain(app, drainOptions),
  };

  return {
    /** One sync, after any sync or switch under way. */
    sync: (): Promise<IngressSyncReport> => serial(syncNow),
    /** The TrafficRouter for the pipeline. */
    router: pipelineRouter,
    /** Writes the files without touching HAProxy: what a HAProxy starting now should load. */
    writeFiles: async (): Promise<void> => {
      await writeFiles(await desired());
    },
  };
}

export type IngressController = ReturnType<typeof createIngressController>;

async function writeIfChanged(path: string, content: string): Promise<boolean> {
  const current = await readOptional(path);
  if (current === content) return false;
  await writeFileAtomic(path, content);
  return true;
}
