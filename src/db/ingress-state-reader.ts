import type { IngressStateSource } from '../ingress/ingress-controller.js';
import type { Database } from './prisma-client.js';

/** Every app with its hostnames and live endpoint, for the ingress's desired state. */
export function createIngressStateReader(db: Database): IngressStateSource {
  return {
    async routedApps() {
      const rows = await db.application.findMany({
        orderBy: { name: 'asc' },
        select: {
          id: true,
          name: true,
          domains: { select: { hostname: true }, orderBy: { hostname: 'asc' } },
          release: { select: { endpoint: true, health: true } },
        },
      });
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        hostnames: row.domains.map((domain) => domain.hostname),
        // A release whose workload is gone has nothing to route to: the app answers 503.
        liveEndpoint:
          row.release === null || row.release.health === 'missing' ? null : row.release.endpoint,
      }));
    },

    async deployingAppIds() {
      const rows = await db.deployment.findMany({
        where: { status: 'running' },
        select: { applicationId: true },
        distinct: ['applicationId'],
      });
      return new Set(rows.map((row) => row.applicationId));
    },
  };
}

export type IngressStateReader = ReturnType<typeof createIngressStateReader>;
