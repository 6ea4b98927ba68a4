import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { preferredWaitSeconds } from '../domain/prefer-wait.js';
import { renderDeploymentLog } from '../domain/render-deployment-log.js';
import type {
  Deployment,
  DeploymentSummary,
  Release,
  RollbackRequest,
  TriggerDeployment,
} from '../schemas/deployment.js';
import { chooseRollbackTarget } from '../domain/rollback-target.js';
import type { ApplicationService } from './application-service.js';
import { decodeNumericCursor, pageOf, type Page } from '../domain/cursor.js';
import type { DeploymentQueue, DeploymentRepository, RollbackSource } from './ports.js';
import type { EnvVarRepository } from './security-ports.js';

/** How long an Idempotency-Key keeps answering with its original deployment. */
const idempotencyWindowMs = 24 * 3600 * 1000;

function requestFingerprint(request: TriggerDeployment): string {
  return createHash('sha256')
    .update(JSON.stringify({ image: request.image }))
    .digest('hex');
}

function rollbackFingerprint(request: RollbackRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        rollback: request.to ?? null,
        runReleaseCommands: request.runReleaseCommands ?? false,
      }),
    )
    .digest('hex');
}

function deploymentNotFound(id: string): AppError {
  return new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
}

const finishedStatuses = new Set<Deployment['status']>(['succeeded', 'failed', 'cancelled']);

export function createDeploymentService(deps: {
  applications: Pick<ApplicationService, 'requireApp' | 'settingsOf'>;
  deployments: DeploymentRepository;
  envVars: Pick<EnvVarRepository, 'snapshot'>;
  queue: DeploymentQueue;
  onEnqueueFailure?: (error: unknown, deploymentId: string) => void;
  /**
   * Told of what happens to a deployment here rather than in the worker (webhooks): queued at
   * trigger, and cancelled when cancelled before a worker took it.
   */
  onEvent?: (
    type: 'deployment.queued' | 'deployment.cancelled',
    deployment: Deployment,
    applicationId: string,
  ) => void;
  /** How often a `Prefer: wait` trigger re-reads the deployment (default 250 ms). */
  waitPollMs?: number;
}) {
  const { applications, deployments, queue } = deps;
  const waitPollMs = deps.waitPollMs ?? 250;

  /** The deployment once finished, or as it is after `seconds` (PostgreSQL is the truth). */
  async function waitUntilFinished(deployment: Deployment, seconds: number): Promise<Deployment> {
    const deadline = Date.now() + seconds * 1000;
    let current = deployment;
    // Bounded by the deadline: at most seconds * 1000 / waitPollMs reads.
    while (!finishedStatuses.has(current.status) && Date.now() < deadline) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(waitPollMs, deadline - Date.now())),
      );
      current = (await deployments.findById(current.id)) ?? current;
    }
    return current;
  }

  /** The deployment a retried request refers to, or null when the key is free (or expired). */
  async function replayOf(
    applicationId: string,
    key: string,
    fingerprint: string,
  ): Promise<Deployment | null> {
    const earlier = await deployments.findByIdempotencyKey(applicationId, key);
    if (earlier === null) return null;
    if (Date.now() - earlier.createdAt.getTime() > idempotencyWindowMs) {
      await deployments.releaseIdempotencyKey(earlier.deployment.id);
      return null;
    }
    if (earlier.fingerprint !== fingerprint) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key was already used with a different request body (deployment ${earlier.deployment.id})`,
      );
    }
    return earlier.deployment;
  }

  /** A stored deployment onto the queue; one that cannot be enqueued is failed at once. */
  async function enqueue(deployment: Deployment, applicationId: string): Promise<void> {
    try {
      await queue.enqueue(deployment.id);
    } catch (error) {
      deps.onEnqueueFailure?.(error, deployment.id);
      const reason = 'could not be queued: the job queue (Redis) is unavailable';
      await deployments.markFailed(deployment.id, reason);
      // The request failed before anything was queued, so its key stays free: a retry with the
      // same Idempotency-Key deploys, rather than replaying this failure (as Stripe does).
      await deployments.releaseIdempotencyKey(deployment.id);
      throw new AppError('DEPENDENCY_UNAVAILABLE', `deployment ${deployment.id} ${reason}`, {
        cause: error,
      });
    }
    deps.onEvent?.('deployment.queued', deployment, applicationId);
  }

  /** The deployment a rollback request brings back, or the AppError saying why there is none. */
  async function rollbackSource(
    owner: { id: string; name: string },
    request: RollbackRequest,
  ): Promise<RollbackSource & { imageId: string }> {
    const history = await deployments.rollbackHistory(owner.id, 1);
    const named =
      request.to === undefined ? null : await deployments.findRollbackSource(request.to);
    const choice = chooseRollbackTarget({
      applicationId: owner.id,
      app: owner.name,
      live: history.live,
      to: request.to,
      named,
      history: history.earlier,
    });
    if (!choice.ok) throw new AppError(choice.code, choice.message);
    return choice.target;
  }

  /** Holds the answer per `Prefer: wait=N` until the deployment finished or N s passed. */
  async function withWait<T extends { deployment: Deployment; replayed: boolean }>(
    prefer: string | undefined,
    start: () => Promise<T>,
  ): Promise<T & { finished: boolean; waitApplied: number | null }> {
    const wait = preferredWaitSeconds(prefer);
    if (wait === 'invalid') {
      throw new AppError('VALIDATION_FAILED', 'Prefer: wait must be 0-300 whole seconds', {
        issues: [{ path: '/prefer', message: 'invalid wait', location: 'headers' }],
      });
    }
    const started = await start();
    const deployment =
      wait === null ? started.deployment : await waitUntilFinished(started.deployment, wait);
    return {
      ...started,
      deployment,
      finished: finishedStatuses.has(deployment.status),
      waitApplied: wait,
    };
  }

  return {
    /**
     * PostgreSQL first, then the queue: a deployment that cannot be enqueued is failed at once,
     * so no row is ever left queued without a job.
     */
    async trigger(
      app: string,
      request: TriggerDeployment,
      idempotencyKey?: string,
    ): Promise<{ deployment: Deployment; replayed: boolean }> {
      const owner = await applications.requireApp(app);
      const fingerprint = requestFingerprint(request);
      if (idempotencyKey !== undefined) {
        const earlier = await replayOf(owner.id, idempotencyKey, fingerprint);
        if (earlier !== null) return { deployment: earlier, replayed: true };
      }
      const { webContainer, startupProbe, resources, releaseCommands } =
        await applications.settingsOf(owner);
      // Frozen with the settings: later changes to the variables do not reach this deployment.
      const envSnapshot = await deps.envVars.snapshot(owner.id);
      const deployment = await deployments.create({
        applicationId: owner.id,
        app: owner.name,
        image: request.image,
        settings: {
          webContainer,
          startupProbe,
          resources,
          releaseCommands: releaseCommands.map(({ label, command, timeoutSeconds }) => ({
            label,
            command,
            timeoutSeconds,
          })),
        },
        envSnapshot,
        ...(idempotencyKey === undefined
          ? {}
          : { idempotency: { key: idempotencyKey, fingerprint } }),
      });
      if (deployment === null) {
        // A concurrent request with the same key stored its deployment first: answer with that one.
        const winner = await replayOf(owner.id, idempotencyKey ?? '', fingerprint);
        if (winner === null) throw new Error('idempotency key clash without a stored deployment');
        return { deployment: winner, replayed: true };
      }
      await enqueue(deployment, owner.id);
      return { deployment, replayed: false };
    },

    /**
     * trigger, then with `Prefer: wait=N` holds the answer until the deployment finished or N s
     * passed. `finished` tells whether it did; `waitApplied` is the N that was honoured.
     */
    async triggerAndWait(
      app: string,
      request: TriggerDeployment,
      headers: { idempotencyKey?: string | undefined; prefer?: string | undefined },
    ): Promise<{
      deployment: Deployment;
      replayed: boolean;
      finished: boolean;
      waitApplied: number | null;
    }> {
      return withWait(headers.prefer, () => this.trigger(app, request, headers.idempotencyKey));
    },

    /**
     * A deployment of kind rollback: the target release's exact image (by id) and settings
     * snapshot, with the app's current variables (a rotated secret must not come back). Stored
     * and queued like a trigger, with the same Idempotency-Key rules.
     */
    async rollback(
      app: string,
      request: RollbackRequest,
      idempotencyKey?: string,
    ): Promise<{ deployment: Deployment; replayed: boolean }> {
      const owner = await applications.requireApp(app);
      const fingerprint = rollbackFingerprint(request);
      if (idempotencyKey !== undefined) {
        const earlier = await replayOf(owner.id, idempotencyKey, fingerprint);
        if (earlier !== null) return { deployment: earlier, replayed: true };
      }
      const source = await rollbackSource(owner, request);
      const envSnapshot = await deps.envVars.snapshot(owner.id);
      const deployment = await deployments.create({
        applicationId: owner.id,
        app: owner.name,
        image: source.image,
        settings: source.settings,
        envSnapshot,
        rollback: {
          of: source.id,
          imageId: source.imageId,
          imageDigest: source.imageDigest,
          runReleaseCommands: request.runReleaseCommands ?? false,
        },
        ...(idempotencyKey === undefined
          ? {}
          : { idempotency: { key: idempotencyKey, fingerprint } }),
      });
      if (deployment === null) {
        const winner = await replayOf(owner.id, idempotencyKey ?? '', fingerprint);
        if (winner === null) throw new Error('idempotency key clash without a stored deployment');
        return { deployment: winner, replayed: true };
      }
      await enqueue(deployment, owner.id);
      return { deployment, replayed: false };
    },

    /** rollback, with `Prefer: wait` as on triggerAndWait. */
    async rollbackAndWait(
      app: string,
      request: RollbackRequest,
      headers: { idempotencyKey?: string | undefined; prefer?: string | undefined },
    ) {
      return withWait(headers.prefer, () => this.rollback(app, request, headers.idempotencyKey));
    },

    /** Queued: cancelled at once. Running: the worker kills what runs and cleans up. */
    async cancel(id: string): Promise<{ deployment: Deployment; accepted: boolean }> {
      const result = await deployments.requestCancel(id);
      if (result === 'missing') throw deploymentNotFound(id);
      const deployment = await deployments.findById(id);
      if (deployment === null) throw deploymentNotFound(id);
      if (result === 'finished') {
        throw new AppError(
          'DEPLOYMENT_FINISHED',
          `deployment ${id} already finished (${deployment.status}); there is nothing to cancel`,
        );
      }
      if (result === 'cancelled' && deps.onEvent !== undefined) {
        const owner = await applications.requireApp(deployment.app);
        deps.onEvent('deployment.cancelled', deployment, owner.id);
      }
      return { deployment, accepted: result === 'requested' };
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
      // Keyed by trigger sequence, newest first.
      const beforeSequence =
        query.cursor === undefined ? undefined : decodeNumericCursor(query.cursor);
      const rows = await deployments.listForApp(owner.id, owner.name, {
        limit: query.limit + 1,
        beforeSequence,
      });
      return pageOf(
        rows,
        query.limit,
        (row) => row.sequence.toString(),
        ({ sequence: _sequence, ...summary }) => summary,
      );
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
