import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkloadHealth } from '../engine/engine.js';
import type { PipelineMetrics } from '../pipeline/run-deployment.js';

/** What the worker observes while it runs deployments, in Prometheus form. */
export function createWorkerMetrics(): {
  registry: Registry;
  pipeline: PipelineMetrics;
  releaseHealth: (counts: Record<WorkloadHealth, number>) => void;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_worker_' });
  const stepDuration = new Histogram({
    name: 'slipway_step_duration_seconds',
    help: 'Duration of deployment steps by kind and outcome',
    labelNames: ['kind', 'status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'slipway_deployments_finished_total',
    help: 'Deployments finished by this worker, by final status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const probeAttempts = new Counter({
    name: 'slipway_probe_attempts_total',
    help: 'HTTP requests sent by startup probes',
    registers: [registry],
  });
  const liveReleases = new Gauge({
    name: 'slipway_live_releases',
    help: 'Live releases by the health of their workload, as of the last reconcile pass',
    labelNames: ['health'] as const,
    registers: [registry],
  });
  return {
    registry,
    releaseHealth: (counts) => {
      for (const [health, count] of Object.entries(counts)) liveReleases.set({ health }, count);
    },
    pipeline: {
      stepFinished: (kind, status, durationMs) => {
        stepDuration.observe({ kind, status }, durationMs / 1000);
      },
      probeAttempts: (count) => {
        probeAttempts.inc(count);
      },
      deploymentFinished: (status) => {
        finished.inc({ status });
      },
    },
  };
}
