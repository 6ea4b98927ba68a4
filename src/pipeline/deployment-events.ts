import type { PipelineOutcome } from './run-deployment.js';

/**
 * What the pipeline tells the outside world as a deployment runs (webhooks listen here). Calls
 * return at once and never throw: an observer must not slow down or fail a deployment.
 */
export interface DeploymentEvents {
  deploymentStarted(deploymentId: string): void;
  stepFinished(deploymentId: string, stepId: string): void;
  deploymentFinished(deploymentId: string, status: PipelineOutcome): void;
}
