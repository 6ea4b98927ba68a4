import { formatDuration } from '../../domain/format-duration.js';
import type { TrafficRouter } from '../../engine/engine.js';
import { required, type Step, type StepIo } from '../step.js';

/** Tries of one switch before the step fails (the reconciler then converges the ingress). */
const attempts = 3;
const retryDelayMs = 250;

/**
 * Switches the app's hostnames to the new release, all at once, after the commit point. The old
 * release stops taking new requests and drains (the retire step waits for it). Idempotent, so it
 * is retried; a switch that still fails is reported here and repaired by the reconciler's next
 * pass, which routes to what the database says is live. Nothing is undone.
 */
export function routeStep(): Step {
  return {
    kind: 'route',
    label: 'switch traffic',
    source: null,
    command: null,
    async run(context, io) {
      const { deployment, engine } = context;
      const candidate = required(context.candidate, 'the started candidate');
      const router = engine.router;
      if (router === null) {
        io.log(
          `no ingress (SLIPWAY_INGRESS=off): the release answers at ${candidate.endpoints.join(', ')}`,
        );
        return undefined;
      }
      const started = performance.now();
      const result = await switchWithRetries(
        router,
        deployment.applicationId,
        candidate.endpoints,
        io,
      );
      const where =
        deployment.hostnames.length === 0
          ? `app ${deployment.app} (no hostname yet)`
          : deployment.hostnames.join(', ');
      io.log(
        `switched ${where} to release ${deployment.id.slice(0, 8)} in ${formatDuration(Math.round(performance.now() - started))}` +
          ` (${result.added} endpoint(s) added, ${result.draining} draining)`,
      );
      return undefined;
    },
  };
}

async function switchWithRetries(
  router: TrafficRouter,
  app: string,
  endpoints: string[],
  io: StepIo,
) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await router.route(app, endpoints);
    } catch (error) {
      if (attempt >= attempts) throw error;
      const message = error instanceof Error ? error.message : String(error);
      io.log(`switch attempt ${attempt} failed (${message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
    }
  }
}
