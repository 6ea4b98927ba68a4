import type { IngressStateSource } from '../ingress/ingress-controller.js';
import type { Database } from './prisma-client.js';

/** Every app with its hostnames and live endpoints, for the ingress's desired state. */
export function createIngressStateReader(db: Database): IngressStateSource {
  return {
    async routedApps() {
      const rows = await db.application.findMany({
        orderBy: { name: 'asc' },
        select: {
          id: true,
          name: true,
          domains: { select: { hostname: true }, orderBy: { hostname: 'asc' } },
          release: { select: { endpoint: true, endpoints: true, health: true } },
        },
      });
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        hostnames: row.domains.map((domain) => domain.hostname),
        // A release whose workload is gone has nothing to route to: the app answers 503.
        liveEndpoints:
          row.release === null || row.release.health === 'missing'
            ? []
            : releaseEndpoints(row.release),
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

/** All replicas' endpoints; a row written before replicas has only `endpoint`. */
function releaseEndpoints(release: { endpoint: string; endpoints: string[] }): string[] {
  return release.endpoints.length > 0 ? release.endpoints : [release.endpoint];
}

export type IngressStateReader = ReturnType<typeof createIngressStateReader>;
