import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeploymentStats } from '../services/ports.js';

/**
 * The API's metrics are read from PostgreSQL at scrape time, so they are right whichever process
 * changed the data: deployments by status, queue depth and the age of the oldest queued one.
 */
export function createApiMetrics(stats: DeploymentStats): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_api_' });
  new Gauge({
    name: 'slipway_deployments',
    help: 'Deployments by status (final statuses only ever grow)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await stats.countByStatus();
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'slipway_queue_depth',
    help: 'Deployments waiting to run',
    registers: [registry],
    async collect() {
      this.set((await stats.countByStatus()).queued);
    },
  });
  new Gauge({
    name: 'slipway_oldest_queued_deployment_age_seconds',
    help: 'How long the oldest queued deployment has waited (0 when none)',
    registers: [registry],
    async collect() {
      const oldest = await stats.oldestQueuedAt();
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
    },
  });
  return registry;
}
