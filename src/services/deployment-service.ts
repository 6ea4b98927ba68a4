import { AppError } from '../domain/errors.js';
import { renderDeploymentLog } from '../domain/render-deployment-log.js';
import type { Deployment, DeploymentSummary, Release } from '../schemas/deployment.js';
import type { ApplicationService, Page } from './application-service.js';
import type { DeploymentQueue, DeploymentRepository } from './ports.js';

function deploymentNotFound(id: string): AppError {
  return new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
}

/** Deployment pages are keyed by trigger sequence, newest first. */
function encodeSequenceCursor(sequence: bigint): string {
  return Buffer.from(`s:${sequence.toString()}`, 'utf8').toString('base64url');
}

function decodeSequenceCursor(cursor: string): bigint {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s:(\d{1,19})$/.exec(decoded);
  if (match?.[1] === undefined) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not one this API issued', {
      issues: [{ path: '/cursor', message: 'invalid cursor', location: 'querystring' }],
    });
  }
  return BigInt(match[1]);
}

export function createDeploymentService(deps: {
  applications: Pick<ApplicationService, 'requireApp' | 'getSettings'>;
  deployments: DeploymentRepository;
  queue: DeploymentQueue;
  onEnqueueFailure?: (error: unknown, deploymentId: string) => void;
}) {
  const { applications, deployments, queue } = deps;

  return {
    /**
     * PostgreSQL first, then the queue: a deployment that cannot be enqueued is failed at once,
     * so no row is ever left queued without a job.
     */
    async trigger(app: string, image: string): Promise<Deployment> {
      const owner = await applications.requireApp(app);
      const { webContainer, startupProbe, releaseCommands } = await applications.getSettings(app);
      const deployment = await deployments.create({
        applicationId: owner.id,
        app: owner.name,
        image,
        settings: {
          webContainer,
          startupProbe,
          releaseCommands: releaseCommands.map(({ label, command, timeoutSeconds }) => ({
            label,
            command,
            timeoutSeconds,
          })),
        },
      });
      try {
        await queue.enqueue(deployment.id);
      } catch (error) {
        deps.onEnqueueFailure?.(error, deployment.id);
        const reason = 'could not be queued: the job queue (Redis) is unavailable';
        await deployments.markFailed(deployment.id, reason);
        throw new AppError('DEPENDENCY_UNAVAILABLE', `deployment ${deployment.id} ${reason}`, {
          cause: error,
        });
      }
      return deployment;
    },

    async get(id: string): Promise<Deployment> {
      const deployment = await deployments.findById(id);
      if (deployment === null) throw deploymentNotFound(id);
      return deployment;
    },

    async list(
      app: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Page<DeploymentSummary>> {
      const owner = await applications.requireApp(app);
      const beforeSequence =
        query.cursor === undefined ? undefined : decodeSequenceCursor(query.cursor);
      const rows = await deployments.listForApp(owner.id, owner.name, {
        limit: query.limit + 1,
        beforeSequence,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(({ sequence: _sequence, ...summary }) => summary),
        nextCursor:
          rows.length > query.limit && last !== undefined
            ? encodeSequenceCursor(last.sequence)
            : null,
      };
    },

    async release(app: string): Promise<Release> {
      const owner = await applications.requireApp(app);
      const release = await deployments.findRelease(owner.id, owner.name);
      if (release === null) {
        throw new AppError('RELEASE_NOT_FOUND', `application "${app}" has no live release yet`);
      }
      return release;
    },

    async log(id: string): Promise<string> {
      const data = await deployments.readLog(id);
      if (data === null) throw deploymentNotFound(id);
      return renderDeploymentLog(data);
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
