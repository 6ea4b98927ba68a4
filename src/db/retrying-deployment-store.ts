import type { Logger } from 'pino';
import type { DeploymentStore, LogStore } from '../pipeline/deployment-store.js';
import { retrying, writeRetryPolicy, type RetryPolicy } from './retry.js';

export interface StoreRetryOptions {
  logger: Logger;
  policy?: RetryPolicy;
  /** For tests: how to wait between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

type Retry = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

function createRetry(options: StoreRetryOptions): Retry {
  const policy = options.policy ?? writeRetryPolicy;
  return (what, operation) =>
    retrying(operation, policy, {
      onRetry: (error, attempt, delayMs) => {
        options.logger.warn(
          { err: error, operation: what, attempt, retryInMs: delayMs },
          'database unreachable; retrying',
        );
      },
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
}

/**
 * The worker's deployment store with every write retried through lost connections (a restarted or
 * failed-over PostgreSQL, terminated backends), so a database blip does not fail a deployment
 * that is otherwise fine. Every write is one idempotent statement or transaction, so repeating
 * one whose connection died is safe; the claim is taken up again by the same worker.
 */
export function withDeploymentStoreRetries(
  store: DeploymentStore,
  options: StoreRetryOptions,
): DeploymentStore {
  const retry = createRetry(options);
  return {
    claim: (deploymentId, workerId) => retry('claim', () => store.claim(deploymentId, workerId)),
    // Not retried: it runs every second anyway, and one stuck retrying would hold up the next.
    heartbeat: (deploymentId, workerId) => store.heartbeat(deploymentId, workerId),
    addSteps: (deploymentId, steps, afterPosition) =>
      retry('addSteps', () => store.addSteps(deploymentId, steps, afterPosition)),
    startStep: (stepId) => retry('startStep', () => store.startStep(stepId)),
    finishStep: (stepId, outcome) => retry('finishStep', () => store.finishStep(stepId, outcome)),
    skipPendingSteps: (deploymentId) =>
      retry('skipPendingSteps', () => store.skipPendingSteps(deploymentId)),
    recordImage: (deploymentId, imageId, digest) =>
      retry('recordImage', () => store.recordImage(deploymentId, imageId, digest)),
    currentRelease: (applicationId) =>
      retry('currentRelease', () => store.currentRelease(applicationId)),
    activateRelease: (release) => retry('activateRelease', () => store.activateRelease(release)),
    finishDeployment: (deploymentId, status, failureReason) =>
      retry('finishDeployment', () => store.finishDeployment(deploymentId, status, failureReason)),
    retainedRelease: (deploymentId) =>
      retry('retainedRelease', () => store.retainedRelease(deploymentId)),
    retainRelease: (applicationId, release) =>
      retry('retainRelease', () => store.retainRelease(applicationId, release)),
    retainedReleases: (applicationId) =>
      retry('retainedReleases', () => store.retainedReleases(applicationId)),
    forgetRetained: (workloadRef) =>
      retry('forgetRetained', () => store.forgetRetained(workloadRef)),
  };
}

/** The log store with its writes retried the same way, so no output is lost to a blip. */
export function withLogStoreRetries(logs: LogStore, options: StoreRetryOptions): LogStore {
  const retry = createRetry(options);
  return {
    append: (chunks) => retry('appendLog', () => logs.append(chunks)),
    dropTail: (stepId, upToId, omittedBytes) =>
      retry('dropLogTail', () => logs.dropTail(stepId, upToId, omittedBytes)),
  };
}
