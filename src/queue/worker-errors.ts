/**
 * What a BullMQ worker error means for Slipway. PostgreSQL holds every deployment's state and
 * Redis only carries the queue, so when Redis restarts or loses its data, a running job loses
 * its lock and its key while the deployment itself goes on and finishes; the reconciler
 * re-enqueues what is still queued. Those are expected recoveries (warn, one line that says what
 * happened), not errors that need someone.
 */
export type WorkerErrorClass =
  { level: 'warn'; deploymentId: string; message: string } | { level: 'error'; message: string };

const lockLost = /^could not renew lock for job (\S+)$/;
const jobGone = /^Missing (key|lock) for job (\S+)\. (\w+)$/;

/** Classifies an error emitted by the worker ('error' or 'failed'); job ids are deployment ids. */
export function classifyWorkerError(error: unknown): WorkerErrorClass {
  const text = error instanceof Error ? error.message : String(error);
  const lock = lockLost.exec(text);
  if (lock?.[1] !== undefined) {
    return {
      level: 'warn',
      deploymentId: lock[1],
      message:
        'queue lock of a running deployment lost (Redis restarted or lost its data); the deployment goes on, its state is in PostgreSQL',
    };
  }
  const gone = jobGone.exec(text);
  if (gone?.[2] !== undefined) {
    return {
      level: 'warn',
      deploymentId: gone[2],
      message: `queue job of a deployment was gone from Redis at ${gone[3] ?? 'an update'} (Redis restarted or lost its data); its outcome is in PostgreSQL, and the reconciler re-enqueues what is still queued`,
    };
  }
  return { level: 'error', message: text };
}
