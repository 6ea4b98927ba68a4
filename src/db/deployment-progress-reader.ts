import type { DeploymentProgressReader } from '../services/ports.js';
import { toDeployment } from './deployment-mappers.js';
import type { Database } from './prisma-client.js';

export function createDeploymentProgressReader(db: Database): DeploymentProgressReader {
  return {
    async progress(deploymentId) {
      const row = await db.deployment.findUnique({
        where: { id: deploymentId },
        include: {
          application: { select: { name: true } },
          steps: { orderBy: { position: 'asc' } },
        },
      });
      return row === null ? null : toDeployment(row, row.application.name, row.steps);
    },
    async chunksAfter(deploymentId, afterId, limit) {
      return db.logChunk.findMany({
        where: { deploymentId, id: { gt: afterId } },
        orderBy: { id: 'asc' },
        take: limit,
        select: { id: true, stepId: true, text: true },
      });
    },
  };
}
