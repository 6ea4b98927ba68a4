/**
 * 8. API memory: an API process of its own (node --expose-gc, bench/servers/memory-probe.ts
 * preloaded) takes 10,000 mixed requests; its memory after a full GC once idle is compared with
 * its memory after a full GC at the start. BENCH_HEAP_SNAPSHOT_DIR=<dir> also writes heap
 * snapshots at each measurement, to see what a growth retains.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { discardQueued } from './api-throughput.js';
import { pollUntil, sleep } from './lib/clock.js';
import type { Benchmark } from './lib/context.js';
import { benchImages, repoRoot } from './lib/environment.js';
import { pick } from './lib/options.js';
import { createClient, startApi, type ApiProcess } from './lib/slipway.js';

interface MemorySample {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

const mib = (bytes: number) => bytes / 1024 / 1024;

/** Asks the probe for a GC and a reading; waits for the file to carry the new sequence number. */
async function measure(api: ApiProcess, file: string, sequence: number): Promise<MemorySample> {
  process.kill(api.child.pid, 'SIGUSR2');
  return pollUntil('memory reading from the API', 60_000, 50, () => {
    try {
      const reading = JSON.parse(readFileSync(file, 'utf8')) as {
        sequence: number;
        rss: number;
        heapUsed: number;
        heapTotal: number;
        external: number;
      };
      if (reading.sequence !== sequence) return Promise.resolve(undefined);
      return Promise.resolve({
        rssMiB: mib(reading.rss),
        heapUsedMiB: mib(reading.heapUsed),
        heapTotalMiB: mib(reading.heapTotal),
        externalMiB: mib(reading.external),
      });
    } catch {
      return Promise.resolve(undefined);
    }
  });
}

export const apiMemory: Benchmark = {
  id: 'memory',
  title: '8. API memory (10,000 mixed requests, then idle and a full GC)',
  async run(context) {
    const { options, env, section } = context;
    const total = pick(options, { smoke: 1000, full: 10_000 });
    const file = join(env.workDir, 'api-memory.json');
    const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
    const api = await startApi(env, 'api-memory', {
      env: {
        BENCH_MEMORY_FILE: file,
        ...(snapshotDir === undefined ? {} : { BENCH_HEAP_SNAPSHOT_DIR: snapshotDir }),
      },
      nodeFlags: ['--expose-gc', '--import', join(repoRoot, 'bench/servers/memory-probe.ts')],
    });
    try {
      const admin = createClient(api.baseUrl, env.adminToken);
      await admin.createApp('memory', { releaseCommands: ['true'] });
      const token = await admin.createDeployToken('memory', ['memory']);
      const start = await measure(api, file, 1);
      const deploy = { authorization: `Bearer ${token}` };
      const adminAuth = { authorization: `Bearer ${env.adminToken}` };
      const json = { 'content-type': 'application/json' };
      // Reads, writes, errors (404, 400, 403) and both kinds of token; no failed authentication,
      // which would make the address rate-limited and turn the rest into 429s.
      const requests = [
        { method: 'GET', path: '/v1/apps/memory/settings', headers: deploy },
        {
          method: 'POST',
          path: '/v1/apps/memory/deployments',
          headers: { ...deploy, ...json },
          body: JSON.stringify({ image: benchImages.small }),
        },
        { method: 'GET', path: '/v1/apps/memory/deployments?limit=5', headers: deploy },
        { method: 'GET', path: '/v1/apps?limit=20', headers: adminAuth },
        { method: 'GET', path: '/v1/apps/no-such-app/settings', headers: adminAuth },
        {
          method: 'PATCH',
          path: '/v1/apps/memory/settings/startup-probe',
          headers: { ...adminAuth, ...json },
          body: JSON.stringify({ intervalMs: 'not a number' }),
        },
        { method: 'GET', path: '/v1/tokens', headers: deploy },
        { method: 'GET', path: '/v1/apps/memory/release', headers: deploy },
      ] as const;
      const result = await autocannon({
        url: api.baseUrl,
        connections: 10,
        amount: total,
        requests: requests.map((request) => ({ ...request })),
      });
      await sleep(pick(options, { smoke: 1000, full: 5000 }));
      const after = await measure(api, file, 2);
      section.add('API RSS after a full GC: at start', 'MiB', [start.rssMiB]);
      section.add(
        `API RSS after a full GC: ${String(total)} requests later, idle`,
        'MiB',
        [after.rssMiB],
        { name: 'start', values: [start.rssMiB] },
      );
      section.add('API heap used after a full GC: at start', 'MiB', [start.heapUsedMiB]);
      section.add(
        `API heap used after a full GC: ${String(total)} requests later, idle`,
        'MiB',
        [after.heapUsedMiB],
        { name: 'start', values: [start.heapUsedMiB] },
      );
      section.add('API V8 heap committed (heapTotal) after a full GC: at start', 'MiB', [
        start.heapTotalMiB,
      ]);
      section.add(
        `API V8 heap committed after a full GC: ${String(total)} requests later, idle`,
        'MiB',
        [after.heapTotalMiB],
        { name: 'start', values: [start.heapTotalMiB] },
      );
      section.add(
        `API external memory after a full GC: ${String(total)} requests later, idle`,
        'MiB',
        [after.externalMiB],
        { name: 'start', values: [start.externalMiB] },
      );
      const peak = api.child.memory()?.peakRssMiB ?? Number.NaN;
      section.add('API peak RSS during the run', 'MiB', [peak]);
      section.note(
        `${String(result.requests.total)} requests over 10 connections in ${result.duration.toFixed(1)} s (${String(result.non2xx)} answered 4xx/5xx as intended: 404, 400, 403 among them; ${String(result.errors + result.timeouts)} errors or timeouts), then ${String(pick(options, { smoke: 1, full: 5 }))} s idle. Memory read in the API process right after global.gc() (twice) on SIGUSR2.`,
      );
    } finally {
      await api.child.stop();
      await discardQueued(context);
    }
  },
};
