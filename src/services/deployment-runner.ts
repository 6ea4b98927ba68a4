import type { Logger } from 'pino';
import type { DeploymentStore } from '../pipeline/deployment-store.js';
import { runDeployment, type PipelineDependencies } from '../pipeline/run-deployment.js';

export type RunOutcome = 'blocked' | 'finished' | 'skipped';

/**
 * What a worker does with one queued job. Claiming in PostgreSQL makes this idempotent: a job
 * delivered twice runs once, and deployments of one app run one at a time, in trigger order.
 */
export function createDeploymentRunner(
  deps: PipelineDependencies & { store: DeploymentStore; logger: Logger },
) {
  return {
    async run(deploymentId: string, signal?: AbortSignal): Promise<RunOutcome> {
      const claim = await deps.store.claim(deploymentId);
      switch (claim.outcome) {
        case 'blocked':
          return 'blocked';
        case 'not-claimable':
          deps.logger.info(
            { deploymentId, status: claim.status },
            'deployment not claimable; skipping',
          );
          return 'skipped';
        case 'claimed':
          await runDeployment(claim.deployment, deps, signal);
          return 'finished';
      }
    },
  };
}

export type DeploymentRunner = ReturnType<typeof createDeploymentRunner>;
