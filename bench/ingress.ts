/**
 * 7. The ingress (HAProxy, supervised by the worker): N consecutive deploys under a steady load
 * through it (failed requests: must be 0), how long the switch (route step) and the drain take,
 * from trigger to the first response served by the new release; then the per-request cost of
 * going through HAProxy against going straight to the container, same run, same load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Benchmark, BenchContext } from './lib/context.js';
import { sleep } from './lib/clock.js';
import { benchImages } from './lib/environment.js';
import { isFailure, startHttpLoad, type LoadRecord } from './lib/http-load.js';
import { pick } from './lib/options.js';
import { percentile } from './lib/stats.js';
import { deployAndWait, freePort, startWorker, stepTime } from './lib/slipway.js';

const app = 'ingress-bench';
const baseDomain = 'bench.test';
const host = `${app}.${baseDomain}`;
/** The web image answers it with a stamp unique to its container: the body names the release. */
const path = '/ready-at';

async function releaseStamp(context: BenchContext): Promise<string> {
  const release = await context.client.release(app);
  const response = await fetch(`http://127.0.0.1:${release.hostPort}${path}`);
  return response.text();
}

async function deploymentLog(context: BenchContext, id: string): Promise<string> {
  const response = await fetch(`${context.api.baseUrl}/v1/deployments/${id}/log`, {
    headers: { authorization: `Bearer ${context.env.adminToken}` },
  });
  return response.text();
}

/** Polls the ingress until it serves the app (bounded). */
async function waitUntilRouted(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const load = startHttpLoad({ port, host, path, requests: 1, concurrency: 1, timeoutMs: 2000 });
    const [record] = await load.done;
    if (record !== undefined && !isFailure(record)) return;
    await sleep(50);
  }
  throw new Error(`the ingress did not serve ${host} within 10 s`);
}

interface DeployFigures {
  route: number[];
  retire: number[];
  drain: number[];
  inFlight: number[];
  firstNew: number[];
  failed: number;
  requests: number;
}

async function deploysUnderLoad(context: BenchContext, port: number, deploys: number) {
  const load = startHttpLoad({ port, host, path, requests: 2_000_000, concurrency: 16 });
  const triggers: { sentAt: number; stamp: string }[] = [];
  const figures: DeployFigures = {
    route: [],
    retire: [],
    drain: [],
    inFlight: [],
    firstNew: [],
    failed: 0,
    requests: 0,
  };
  try {
    for (let round = 0; round < deploys; round++) {
      context.progress(`deploy ${round + 1}/${deploys} under load`);
      const sentAt = Date.now();
      const timing = await deployAndWait(context.env, context.client, app, benchImages.small);
      triggers.push({ sentAt, stamp: await releaseStamp(context) });
      figures.route.push(stepTime(timing, 'route'));
      figures.retire.push(stepTime(timing, 'retire'));
      const drained = /drained (\d+) in-flight request\(s\) in (\d+) ms/.exec(
        await deploymentLog(context, timing.id),
      );
      if (drained !== null) {
        figures.inFlight.push(Number(drained[1]));
        figures.drain.push(Number(drained[2]));
      }
      // Let the load run on the new release for a moment before the next switch.
      await sleep(300);
    }
  } finally {
    load.stop();
  }
  const records = await load.done;
  figures.requests = records.length;
  figures.failed = records.filter(isFailure).length;
  for (const trigger of triggers) {
    const served = records
      .filter((r) => r.body === trigger.stamp)
      .map((r) => r.sentAt + r.latencyMs - trigger.sentAt);
    if (served.length > 0) figures.firstNew.push(Math.min(...served));
  }
  return figures;
}

async function measureLoad(port: number, hostHeader: string, requests: number) {
  const started = performance.now();
  const records: LoadRecord[] = await startHttpLoad({
    port,
    host: hostHeader,
    path,
    requests,
    concurrency: 16,
  }).done;
  const elapsedS = (performance.now() - started) / 1000;
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    throughput: records.length / elapsedS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed: records.filter(isFailure).length,
  };
}

export const ingress: Benchmark = {
  id: 'ingress',
  title: '7. Ingress (HAProxy): deploys under load, switch, drain, per-request cost',
  async run(context) {
    const { options, env, section } = context;
    const deploys = pick(options, { smoke: 1, full: 5 });
    const requests = pick(options, { smoke: 500, full: 20_000 });
    const port = await freePort();
    const stateDir = mkdtempSync('/tmp/sw-bench-ing-');
    const worker = startWorker(env, 2, 'worker-ingress', {
      env: {
        SLIPWAY_INGRESS: 'supervise',
        SLIPWAY_INGRESS_BIND: '127.0.0.1',
        SLIPWAY_INGRESS_HTTP_PORT: String(port),
        SLIPWAY_INGRESS_STATE_DIR: stateDir,
        SLIPWAY_BASE_DOMAIN: baseDomain,
      },
    });
    try {
      await context.client.createApp(app);
      await deployAndWait(env, context.client, app, benchImages.small);
      await waitUntilRouted(port);
      const figures = await deploysUnderLoad(context, port, deploys);
      section.add(`failed requests during ${deploys} deploys under load`, 'requests', [
        figures.failed,
      ]);
      section.add('switch (route step)', 'ms', figures.route);
      section.add('drain of in-flight requests', 'ms', figures.drain);
      section.add('retire step (drain, SIGTERM, remove)', 'ms', figures.retire);
      section.add('trigger -> first response from the new release', 'ms', figures.firstNew);
      section.note(
        `${figures.requests} requests at concurrency 16 (keep-alive) through the ingress during ${deploys} deploys: ${figures.failed} failed; in flight on the old release at each switch: ${figures.inFlight.join(', ')}`,
      );

      const release = await context.client.release(app);
      const direct = await measureLoad(release.hostPort, `127.0.0.1:${release.hostPort}`, requests);
      const proxied = await measureLoad(port, host, requests);
      const baseline = 'straight to the container';
      section.add('throughput through HAProxy', 'req/s', [proxied.throughput], {
        name: baseline,
        values: [direct.throughput],
      });
      section.add('p50 latency through HAProxy', 'ms', [proxied.p50], {
        name: baseline,
        values: [direct.p50],
      });
      section.add('p99 latency through HAProxy', 'ms', [proxied.p99], {
        name: baseline,
        values: [direct.p99],
      });
      section.note(
        `${requests} requests each way at concurrency 16 (keep-alive); failed: ${proxied.failed} through HAProxy, ${direct.failed} direct`,
      );
    } finally {
      await worker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
};
