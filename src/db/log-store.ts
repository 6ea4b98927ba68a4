import type { LogStore } from '../pipeline/deployment-store.js';
import { sqlOf, type Database } from './prisma-client.js';

export function createLogStore(db: Database): LogStore {
  return {
    async append(chunks) {
      if (chunks.length === 0) return [];
      // Megabytes of output per second go through here: plain pg (see sqlOf), one statement.
      // Rows are inserted in the given order (ORDER BY), so their ids ascend in that order.
      const result = await sqlOf(db).query<{ id: string }>(
        `INSERT INTO log_chunks (deployment_id, step_id, part, text)
         SELECT deployment_id, step_id, part, text
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])
           WITH ORDINALITY AS chunk(deployment_id, step_id, part, text, ordinal)
         ORDER BY ordinal
         RETURNING id::text AS id`,
        [
          chunks.map((chunk) => chunk.deploymentId),
          chunks.map((chunk) => chunk.stepId),
          chunks.map((chunk) => chunk.part),
          chunks.map((chunk) => chunk.text),
        ],
      );
      return result.rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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
