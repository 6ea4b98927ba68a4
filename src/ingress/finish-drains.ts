/**
 * Slots left in drain by a switch whose deployment did not get to free them (the worker crashed
 * or was killed in the route or retire step). A drain slot takes no new requests, but it also
 * blocks the slot for the next switch and keeps counting as the app's previous release.
 */
import { backendName } from './haproxy-config.js';
import type { RuntimeApi } from './runtime-api.js';

/**
 * Puts in maintenance every draining slot that has no request in flight, and every draining slot
 * of an app with no deployment running (nobody will ever finish that drain; maint, like drain,
 * lets requests already in flight complete). A slot with requests in flight during a deployment
 * is that deployment's retire step's to free. Returns the number of slots freed.
 */
export async function finishDrains(
  api: RuntimeApi,
  appKeys: string[],
  deploying: ReadonlySet<string>,
): Promise<number> {
  const backends = new Set(
    (await api.showStat()).filter((row) => row.server === 'BACKEND').map((row) => row.proxy),
  );
  let freed = 0;
  let sessions: Map<string, number> | null = null;
  for (const key of appKeys) {
    const backend = backendName(key);
    if (!backends.has(backend)) continue;
    const draining = (await api.showServersState(backend)).filter((s) => s.admin === 'drain');
    if (draining.length === 0) continue;
    // Read after finding a drain slot: the counts must not be older than the slot's state.
    sessions ??= await sessionCounts(api);
    for (const slot of draining) {
      const inFlight = sessions.get(`${backend}/${slot.server}`) ?? 0;
      if (deploying.has(key) && inFlight > 0) continue;
      await api.setServerState(backend, slot.server, 'maint');
      freed += 1;
    }
  }
  return freed;
}

async function sessionCounts(api: RuntimeApi): Promise<Map<string, number>> {
  return new Map(
    (await api.showStat()).map((row) => [`${row.proxy}/${row.server}`, row.currentSessions]),
  );
}
