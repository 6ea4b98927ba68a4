import type { LogStore } from '../pipeline/deployment-store.js';
import type { Database } from './prisma-client.js';

export function createLogStore(db: Database): LogStore {
  return {
    async append(chunks) {
      if (chunks.length === 0) return [];
      const rows = await db.logChunk.createManyAndReturn({
        data: chunks.map((chunk) => ({
          deploymentId: chunk.deploymentId,
          stepId: chunk.stepId,
          part: chunk.part,
          text: chunk.text,
        })),
        select: { id: true },
      });
      return rows.map((row) => row.id);
    },

    async dropTail(stepId, upToId, omittedBytes) {
      await db.$transaction([
        db.logChunk.deleteMany({
          where: { stepId, part: 'tail', id: { lte: upToId ?? 0n } },
        }),
        db.deploymentStep.update({
          where: { id: stepId },
          data: { logOmittedBytes: { increment: omittedBytes } },
        }),
      ]);
    },
  };
}
