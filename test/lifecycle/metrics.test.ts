/**
 * GET /metrics on the API (read from PostgreSQL: deployments by status, queue depth, oldest queued
 * age, process metrics) and on the worker's own WORKER_METRICS_PORT (step durations by kind,
 * probe attempts, deployments finished by status).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { freePort } from '../support/free-port.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  expectStatus,
  setReleaseCommands,
  sleep,
  startHarness,
  trigger,
  waitForFinished,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

/** The value of one sample, e.g. metric('slipway_deployments{status="failed"}'); null if absent. */
function sample(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

describe('metrics', () => {
  test('the worker and the API expose what the issue lists', async () => {
    const metricsPort = await freePort();
    const worker = await h.startWorker({ WORKER_METRICS_PORT: String(metricsPort) });
    const app = await createApp(h, 'metrics');
    const good = await trigger(h, app, REGISTRY_IMAGES.webV1);
    expect((await waitForFinished(h.db, good.id, 60_000)).status).toBe('succeeded');
    await setReleaseCommands(h, app, [{ label: 'broken', command: 'exit 3' }]);
    const bad = await trigger(h, app, REGISTRY_IMAGES.webV2);
    expect((await waitForFinished(h.db, bad.id, 60_000)).status).toBe('failed');

    const workerMetrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(workerMetrics.status).toBe(200);
    const workerText = await workerMetrics.text();
    expect(sample(workerText, 'slipway_deployments_finished_total{status="succeeded"}')).toBe(1);
    expect(sample(workerText, 'slipway_deployments_finished_total{status="failed"}')).toBe(1);
    expect(
      sample(workerText, 'slipway_step_duration_seconds_count{kind="pull",status="succeeded"}'),
    ).toBe(2);
    expect(
      sample(
        workerText,
        'slipway_step_duration_seconds_count{kind="release_command",status="failed"}',
      ),
    ).toBe(1);
    expect(
      sample(workerText, 'slipway_step_duration_seconds_count{kind="probe",status="succeeded"}'),
    ).toBe(1);
    expect(sample(workerText, 'slipway_probe_attempts_total')).toBeGreaterThanOrEqual(1);
    expect(workerText).toMatch(/^slipway_worker_process_cpu_user_seconds_total /m);

    // With no worker, a new deployment waits: queue depth and the oldest's age show it.
    expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await trigger(h, app, REGISTRY_IMAGES.webV1);
    await sleep(1100);
    const api = await h.api('/metrics');
    expectStatus(api, 200);
    expect(sample(api.text, 'slipway_deployments{status="succeeded"}')).toBe(1);
    expect(sample(api.text, 'slipway_deployments{status="failed"}')).toBe(1);
    expect(sample(api.text, 'slipway_deployments{status="queued"}')).toBe(1);
    expect(sample(api.text, 'slipway_queue_depth')).toBe(1);
    expect(sample(api.text, 'slipway_oldest_queued_deployment_age_seconds')).toBeGreaterThanOrEqual(
      1,
    );
    expect(api.text).toMatch(/^slipway_api_process_cpu_user_seconds_total /m);
  }, 120_000);
});
