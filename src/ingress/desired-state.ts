/**
 * What the ingress should route, from what PostgreSQL says: each app's hostnames (its own, plus
 * the default `<app>.<SLIPWAY_BASE_DOMAIN>`) and the endpoints of its live release. Pure.
 */
import { appHostnames } from '../domain/app-hostnames.js';
import { parseEndpoint } from './endpoint.js';
import type { IngressApp } from './haproxy-config.js';
import { SLOTS_PER_APP } from './slots.js';

export interface RoutedApp {
  id: string;
  name: string;
  /** The hostnames given to the app through the API. */
  hostnames: string[];
  /** The live release's endpoints (one per replica); none when there is none or it is gone. */
  liveEndpoints: string[];
}

export function desiredIngressApps(
  apps: RoutedApp[],
  options: { baseDomain: string | null; slotsPerApp?: number },
): IngressApp[] {
  // A hostname given explicitly wins over another app's default one (an app created later with
  // a name whose default hostname was already given away gets no default).
  const given = new Set(apps.flatMap((app) => app.hostnames));
  return apps.map((app) => {
    const hostnames = appHostnames({
      name: app.name,
      own: app.hostnames,
      baseDomain: options.baseDomain,
      givenElsewhere: (hostname) => given.has(hostname),
    });
    return {
      key: app.id,
      hostnames,
      slots: options.slotsPerApp ?? SLOTS_PER_APP,
      live: app.liveEndpoints.map(parseEndpoint),
    };
  });
}
