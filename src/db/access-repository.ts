import type { AccessRepository } from '../services/security-ports.js';
import type { Database } from './prisma-client.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAccessRepository(db: Database): AccessRepository {
  return {
    async applicationIdsByName(names) {
      const rows = await db.application.findMany({
        where: { name: { in: [...names] } },
        select: { id: true, name: true },
      });
      return new Map(rows.map((row) => [row.name, row.id]));
    },

    async applicationOfDeployment(deploymentId) {
      // Authorization runs before parameter validation, so a malformed id must not reach the
      // uuid column (PostgreSQL would reject the query).
      if (!uuidPattern.test(deploymentId)) return null;
      const row = await db.deployment.findUnique({
        where: { id: deploymentId },
        select: { application: { select: { id: true, name: true } } },
      });
      return row?.application ?? null;
    },
  };
}
