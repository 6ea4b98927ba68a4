import type { DeploymentStats } from '../services/ports.js';
import type { Database } from './prisma-client.js';

export function createDeploymentStats(db: Database): DeploymentStats {
  return {
    async countByStatus() {
      const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
      const rows = await db.deployment.groupBy({ by: ['status'], _count: { _all: true } });
      for (const row of rows) counts[row.status] = row._count._all;
      return counts;
    },
    async oldestQueuedAt() {
      const row = await db.deployment.findFirst({
        where: { status: 'queued' },
        orderBy: { createdAt: 'asc' },
        select: { createdAt: true },
      });
      return row?.createdAt ?? null;
    },
  };
}
