import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import type { DeploymentEvents } from './deployment-events.js';
import type { ClaimedDeployment, DeploymentStore, LogStore } from './deployment-store.js';
import { createLogWriter, type LogWriter } from './log-writer.js';
import { planDeployment } from './plan.js';
import type { DeploymentContext, PipelineMetrics } from './step.js';
import { runPlan, type PlanOutcome } from './step-runner.js';
import type { StopControl } from './stop-reason.js';

export type { PipelineMetrics } from './step.js';

export interface PipelineDependencies {
  store: DeploymentStore;
  logs: LogStore;
  engine: Engine;
  logger: Logger;
  logLimits?: { flushIntervalMs?: number; headBytes?: number; tailBytes?: number };
  metrics?: PipelineMetrics;
  /** Told as the deployment runs (webhooks listen here); never slows or fails it. */
  events?: DeploymentEvents;
}

export type PipelineOutcome = 'succeeded' | 'failed' | 'cancelled';

/**
 * Carries one claimed deployment through its plan. The previous release is only touched after
 * the new one is live; on any failure before that, what this deployment created is removed and
 * the previous release keeps serving.
 */
export async function runDeployment(
  deployment: ClaimedDeployment,
  deps: PipelineDependencies,
  control: StopControl,
): Promise<PipelineOutcome> {
  const logger = deps.logger.child({ deploymentId: deployment.id, app: deployment.app });
  const log = createLogWriter({
    deploymentId: deployment.id,
    store: deps.logs,
    ...deps.logLimits,
    secrets: deployment.secretValues,
    onFlushError: (error) => {
      logger.error({ err: error }, 'could not store deployment log output; will retry');
    },
  });
  const context: DeploymentContext = {
    deployment,
    engine: deps.engine,
    store: deps.store,
    metrics: deps.metrics,
    // The app's variables first, so what Slipway sets itself always wins.
    env: { ...deployment.env, SLIPWAY_APP: deployment.app, SLIPWAY_DEPLOYMENT_ID: deployment.id },
    image: null,
    webPort: null,
    candidate: null,
    previousRelease: null,
  };

  // runPlan turns every failure into an outcome; it does not throw.
  const result = await runPlan(planDeployment(deployment), context, {
    store: deps.store,
    log,
    logger,
    control,
    ...(deps.events === undefined ? {} : { events: deps.events }),
  });
  if (result.outcome === 'succeeded') {
    log.line(null, `deployment ${deployment.id} is live`);
  } else {
    await cleanUpAfterFailure(context, log, logger, result);
  }
  const reason = result.outcome === 'succeeded' ? null : result.failure.reason;
  await log.close();
  await deps.store.finishDeployment(deployment.id, result.outcome, reason);
  deps.metrics?.deploymentFinished(result.outcome);
  deps.events?.deploymentFinished(deployment.id, result.outcome);
  logger.info({ status: result.outcome, reason }, 'deployment finished');
  return result.outcome;
}

/** After the undo steps: skip what never ran, remove any workload of this deployment still left. */
async function cleanUpAfterFailure(
  context: DeploymentContext,
  log: LogWriter,
  logger: Logger,
  result: Exclude<PlanOutcome, { outcome: 'succeeded' }>,
): Promise<void> {
  const { deployment, engine, store } = context;
  try {
    await store.skipPendingSteps(deployment.id);
    log.line(null, `deployment ${result.outcome}: ${result.failure.reason}`);
    const leftovers = await engine.inventory.list({ deploymentId: deployment.id });
    for (const workload of leftovers) await engine.inventory.remove(workload.ref);
    const removed = result.removedWorkloads + leftovers.length;
    log.line(
      null,
      removed === 0
        ? 'no containers to clean up'
        : `removed ${removed} container(s) of this deployment`,
    );
    const previous = await store.currentRelease(deployment.applicationId);
    log.line(
      null,
      previous === null
        ? 'no previous release: the application has nothing live'
        : `previous release ${previous.deploymentId} (${engine.web.describe(previous.workloadRef)}) left running untouched`,
    );
  } catch (error) {
    logger.error({ err: error }, 'clean-up after a failed deployment did not complete');
    log.line(null, `warning: clean-up did not complete: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
