import type { Logger } from 'pino';
import type { WebhookEventType } from '../domain/webhook-events.js';
import type { DeploymentEvents } from '../pipeline/deployment-events.js';
import type { Deployment } from '../schemas/deployment.js';
import type { WebhookEvent } from './webhook-dispatcher.js';

/**
 * DeploymentEvents as webhook deliveries. Each deployment's events are recorded one after the
 * other (so their order is kept) off the pipeline's path: the pipeline never waits for them.
 */
export function createWebhookDeploymentEvents(deps: {
  findDeployment: (id: string) => Promise<Deployment | null>;
  applicationIdOf: (deploymentId: string) => Promise<string | null>;
  dispatch: (event: WebhookEvent) => Promise<void>;
  logger: Logger;
}) {
  const chains = new Map<string, Promise<void>>();
  /** The application of each deployment with events in flight: read once per deployment. */
  const applications = new Map<string, string | null>();

  async function applicationOf(deploymentId: string): Promise<string | null> {
    if (applications.has(deploymentId)) return applications.get(deploymentId) ?? null;
    const applicationId = await deps.applicationIdOf(deploymentId);
    applications.set(deploymentId, applicationId);
    return applicationId;
  }

  function record(
    deploymentId: string,
    type: WebhookEventType,
    stepId: string | null,
    last = false,
  ): void {
    const previous = chains.get(deploymentId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const applicationId = await applicationOf(deploymentId);
        if (applicationId === null) return;
        // Read when dispatched, not now: only if a webhook wants it, and as it is by then.
        const data = async () => {
          const deployment = await deps.findDeployment(deploymentId);
          if (deployment === null) return null;
          const { steps, ...summary } = deployment;
          const step = stepId === null ? undefined : steps.find((s) => s.id === stepId);
          return { deployment: summary, ...(step === undefined ? {} : { step }) };
        };
        await deps.dispatch({ type, applicationId, deploymentId, data });
      })
      .catch((error: unknown) => {
        deps.logger.error({ err: error, deploymentId, event: type }, 'webhook event not recorded');
      });
    chains.set(deploymentId, next);
    if (last) {
      void next.finally(() => {
        if (chains.get(deploymentId) === next) {
          chains.delete(deploymentId);
          applications.delete(deploymentId);
        }
      });
    }
  }

  const events: DeploymentEvents & { idle(): Promise<void> } = {
    deploymentStarted: (id) => {
      record(id, 'deployment.started', null);
    },
    stepFinished: (id, stepId) => {
      record(id, 'step.finished', stepId);
    },
    deploymentFinished: (id, status) => {
      record(id, `deployment.${status}`, null, true);
    },
    /** Resolves once everything recorded so far is in PostgreSQL (for shutdown). */
    idle: async () => {
      await Promise.all(chains.values());
    },
  };
  return events;
}
