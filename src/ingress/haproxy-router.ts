/**
 * The TrafficRouter over HAProxy's runtime API. Each app is a backend with a fixed number of
 * server slots; a switch fills free slots with the new endpoints and makes them ready first, then
 * puts the previous ones in drain, so the backend never has zero usable servers (no 503 between)
 * and nothing is reloaded. drain() waits on the slots' current sessions (scur), then frees them.
 */
import type { DrainResult, RouteResult, TrafficRouter } from '../engine/engine.js';
import { parseEndpoint, sameAddress, type UpstreamAddress } from './endpoint.js';
import { backendName } from './haproxy-config.js';
import { IngressError } from './ingress-error.js';
import type { RuntimeApi } from './runtime-api.js';
import type { ServerSlotState } from './runtime-parse.js';

export interface HaproxyRouterOptions {
  api: RuntimeApi;
  /** How often drain() reads the session counts; default 25 ms. */
  drainPollMs?: number;
}

export function createHaproxyRouter(options: HaproxyRouterOptions): TrafficRouter {
  const { api } = options;
  const pollMs = options.drainPollMs ?? 25;

  async function fill(
    backend: string,
    slots: ServerSlotState[],
    want: UpstreamAddress,
  ): Promise<boolean> {
    const serving = slots.find((slot) => slot.admin === 'ready' && sameAddress(slot, want));
    if (serving !== undefined) return false;
    // A draining slot already at that address (a quick switch back) is reused before a free one.
    const slot =
      slots.find((s) => s.admin === 'drain' && sameAddress(s, want)) ??
      slots.find((s) => s.admin === 'maint');
    if (slot === undefined) {
      throw new IngressError(
        'INGRESS_NO_FREE_SLOT',
        `backend ${backend} has no free server slot for ${want.ip}:${want.port}`,
      );
    }
    if (slot.admin === 'maint') await api.setServerAddress(backend, slot.server, want);
    await api.setServerState(backend, slot.server, 'ready');
    slot.admin = 'ready';
    slot.ip = want.ip;
    slot.port = want.port;
    return true;
  }

  async function route(app: string, endpoints: string[]): Promise<RouteResult> {
    const backend = backendName(app);
    const wanted = endpoints.map(parseEndpoint);
    const slots = await api.showServersState(backend);
    if (slots.length === 0) {
      throw new IngressError('INGRESS_COMMAND_FAILED', `HAProxy has no backend ${backend}`);
    }
    let added = 0;
    for (const want of wanted) if (await fill(backend, slots, want)) added += 1;
    // Only now the previous set stops taking requests: the new one is ready beside it.
    let draining = 0;
    for (const slot of slots) {
      if (slot.admin !== 'ready' || wanted.some((want) => sameAddress(slot, want))) continue;
      await api.setServerState(backend, slot.server, 'drain');
      slot.admin = 'drain';
      draining += 1;
    }
    return { added, draining };
  }

  async function inFlight(backend: string, servers: Set<string>): Promise<number> {
    const rows = await api.showStat();
    return rows
      .filter((row) => row.proxy === backend && servers.has(row.server))
      .reduce((sum, row) => sum + row.currentSessions, 0);
  }

  async function drain(
    app: string,
    drainOptions: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<DrainResult> {
    const backend = backendName(app);
    const started = Date.now();
    const slots = await api.showServersState(backend);
    const draining = new Set(slots.filter((s) => s.admin === 'drain').map((s) => s.server));
    const inFlightAtStart = draining.size === 0 ? 0 : await inFlight(backend, draining);
    let current = inFlightAtStart;
    const deadline = started + drainOptions.timeoutMs;
    while (current > 0 && Date.now() < deadline && drainOptions.signal?.aborted !== true) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      current = await inFlight(backend, draining);
    }
    for (const server of draining) await api.setServerState(backend, server, 'maint');
    return { inFlightAtStart, inFlightAtEnd: current, elapsedMs: Date.now() - started };
  }

  return { route, drain };
}
